"""The client's credentials on the Klient page: its own and the office's that can serve it, and the forms to add
more (roles that manage credentials)."""

from __future__ import annotations

import streamlit as st

from core.models import ClientPublic
from core.security import Actor, Permission
from core.services.linking import credentials
from core.types import CredentialStatus
from dashboard.certyfikaty.forms import certificate_form, token_form
from dashboard.certyfikaty.revoke import revoke_dialog, revoke_picker
from dashboard.certyfikaty.table import credential_table
from dashboard.components.errors import attempt
from dashboard.i18n import t

PREFIX = "klient"


def credentials_section(actor: Actor, client: ClientPublic) -> None:
    st.subheader(t("klient.credentials.title"))
    items = attempt(lambda: credentials.list_credentials(actor=actor, client_id=client.id)) or []
    names = {client.id: f"{client.name} (NIP {client.nip})"}
    ways_in = [c for c in items if not c.is_offline]
    offline = [c for c in items if c.is_offline]
    if ways_in:
        credential_table(ways_in, names, key="klient_credentials_table")
    else:
        st.info(t("klient.credentials.none"))
    # Offline certificates are their own kind (KOD II of offline invoices), shown apart with their own status.
    working = any(c.shown_status == CredentialStatus.added for c in offline)
    offline_status = CredentialStatus.added if working else CredentialStatus.missing
    st.markdown(t("klient.credentials.offline", status=t(f"credential_status.{offline_status}")))
    if offline:
        credential_table(offline, names, key="klient_offline_table")
    if not actor.can(Permission.manage_credentials) or client.archived_at is not None:
        return
    revoke_picker(PREFIX, items, names)
    revoke_dialog(actor, PREFIX, items, names)
    token_col, cert_col = st.columns(2)
    with token_col.expander(t("credential.token.title"), icon=":material/key:"):
        token_form(PREFIX, client_id=client.id)
    with cert_col.expander(t("credential.cert.title"), icon=":material/badge:"):
        certificate_form(PREFIX, client_id=client.id)
