"""Certyfikaty i tokeny: every credential with its validity and status, uploads for a client or the office, tokens,
revoking, and the token sunset counter (manager and support). Services check every permission again."""

import streamlit as st

from core.services import overview
from core.services.clients import register as clients
from core.services.linking import credentials
from dashboard.auth import require_page
from dashboard.certyfikaty.calendar import calendar_tab
from dashboard.certyfikaty.enroll import enroll_form
from dashboard.certyfikaty.forms import OFFICE, certificate_form, token_form
from dashboard.certyfikaty.revoke import revoke_dialog, revoke_picker
from dashboard.certyfikaty.sunset import LISTED, token_sunset
from dashboard.certyfikaty.table import credential_table
from dashboard.components.errors import attempt
from dashboard.components.flash import show_flashes
from dashboard.i18n import t

PREFIX = "certyfikaty"

actor = require_page(__file__)
st.title(t("certyfikaty.title"))
show_flashes()
register = attempt(lambda: clients.list_clients(actor=actor, include_archived=True))
everyone = register.items if register is not None else []
names = {client.id: f"{client.name} (NIP {client.nip})" for client in everyone}
active = {client.id: names[client.id] for client in everyone if client.archived_at is None}
items = attempt(lambda: credentials.list_credentials(actor=actor)) or []

labels = [
    t("certyfikaty.tab.list"),
    t("certyfikaty.tab.upload"),
    t("certyfikaty.tab.token"),
    t("certyfikaty.tab.sunset"),
    t("certyfikaty.tab.enroll"),
    t("certyfikaty.tab.calendar"),
]
list_tab, upload_tab, token_tab, sunset_tab, enroll_tab, calendar_tab_ = st.tabs(
    labels, key="certyfikaty_tabs", on_change="rerun"
)
if list_tab.open:
    with list_tab:
        # Offline certificates are their own kind (KOD II only), listed apart from the ways into KSeF.
        offline = [c for c in items if c.is_offline]
        authentication = [c for c in items if not c.is_offline]
        if authentication:
            credential_table(authentication, names, key="certyfikaty_table")
        if offline:
            st.subheader(t("certyfikaty.offline.title"))
            st.caption(t("certyfikaty.offline.help"))
            credential_table(offline, names, key="certyfikaty_offline_table")
        if items:
            revoke_picker(PREFIX, items, names)
        else:
            st.info(t("certyfikaty.none"))
if upload_tab.open:
    with upload_tab:
        st.caption(t("certyfikaty.upload.help"))
        certificate_form(PREFIX, targets={OFFICE: t("owner.office_all"), **active})
if token_tab.open:
    with token_tab:
        st.caption(t("certyfikaty.token.help"))
        token_form(PREFIX, targets=active)
if sunset_tab.open:
    with sunset_tab:
        token_sunset(attempt(lambda: overview.token_clients(actor=actor, limit=LISTED)))
if enroll_tab.open:
    with enroll_tab:
        enroll_form(actor, names)
if calendar_tab_.open:
    with calendar_tab_:
        calendar_tab(actor)
revoke_dialog(actor, PREFIX, items, names)
