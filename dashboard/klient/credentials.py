"""The client's credentials on the Klient page: its own and the office's that can serve it, and the forms to add
more (roles that manage credentials)."""

from __future__ import annotations

import streamlit as st

from core.models import ClientPublic
from core.security import Actor, Permission
from core.services.linking import credentials
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
    if items:
        credential_table(items, names, key="klient_credentials_table")
    else:
        st.info(t("klient.credentials.none"))
    if not actor.can(Permission.manage_credentials) or client.archived_at is not None:
        return
    revoke_picker(PREFIX, items, names)
    revoke_dialog(actor, PREFIX, items, names)
    token_col, cert_col = st.columns(2)
    with token_col.expander(t("credential.token.title"), icon=":material/key:"):
        token_form(PREFIX, client_id=client.id)
    with cert_col.expander(t("credential.cert.title"), icon=":material/badge:"):
        certificate_form(PREFIX, client_id=client.id)
