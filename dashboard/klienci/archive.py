"""Archiving a client (manager only), confirmed in a dialog.

The dialog is opened from session state (`klienci_archive_id`) on every run (dashboard.components.confirm).
"""

from __future__ import annotations

import streamlit as st

from core.formatting import format_date
from core.models import ClientPublic
from core.security import Actor, Permission
from core.services.clients import register as clients
from dashboard.components.confirm import ask, confirmation
from dashboard.components.errors import attempt
from dashboard.i18n import t

ARCHIVE_ID = "klienci_archive_id"


def archive_button(actor: Actor, client: ClientPublic) -> None:
    if client.archived_at is not None:
        st.caption(t("klienci.archive.already", date=format_date(client.archived_at)))
        return
    if actor.can(Permission.archive_clients):
        st.button(t("klienci.archive.button"), key="klienci_archive", on_click=ask, args=(ARCHIVE_ID, client.id))


def archive_dialog(actor: Actor) -> None:
    """Draw the confirmation when one was asked for; call on every run of the page."""
    client_id = st.session_state.get(ARCHIVE_ID)
    if client_id is None or not actor.can(Permission.archive_clients):
        return
    client = attempt(lambda: clients.get_client(actor=actor, client_id=int(client_id)))
    if client is None:
        st.session_state.pop(ARCHIVE_ID, None)
        return
    confirmation(
        ARCHIVE_ID,
        client_id,
        title=t("klienci.archive.title"),
        question=t("klienci.archive.question", name=client.name, nip=client.nip),
        confirm_label=t("klienci.archive.confirm"),
        key="klienci_archive",
        run=lambda current: clients.archive_client(actor=current, client_id=client.id),
        done=lambda archived: t("klienci.archive.done", name=archived.name),
    )
