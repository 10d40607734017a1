"""Archiving a client (manager only), confirmed in a dialog.

The dialog is opened from session state (`klienci_archive_id`) on every run, not from the button's return value:
that is what keeps it open across its own reruns and what lets AppTest see and click it.
"""

from __future__ import annotations

import streamlit as st

from core.formatting import format_date
from core.models import ClientPublic
from core.security import Actor, Permission
from core.services import clients
from dashboard.auth import session_actor
from dashboard.components.errors import attempt
from dashboard.components.flash import flash
from dashboard.i18n import t

ARCHIVE_ID = "klienci_archive_id"


def _ask(client_id: int) -> None:
    st.session_state[ARCHIVE_ID] = client_id


def _forget() -> None:
    st.session_state.pop(ARCHIVE_ID, None)


def archive_button(actor: Actor, client: ClientPublic) -> None:
    if client.archived_at is not None:
        st.caption(t("klienci.archive.already", date=format_date(client.archived_at)))
        return
    if actor.can(Permission.archive_clients):
        st.button(t("klienci.archive.button"), key="klienci_archive", on_click=_ask, args=(client.id,))


def archive_dialog(actor: Actor) -> None:
    """Draw the confirmation when one was asked for; call on every run of the page."""
    client_id = st.session_state.get(ARCHIVE_ID)
    if client_id is None or not actor.can(Permission.archive_clients):
        return
    client = attempt(lambda: clients.get_client(actor=actor, client_id=int(client_id)))
    if client is None:
        _forget()
        return

    # Defined per run so that the title follows the chosen language.
    @st.dialog(t("klienci.archive.title"), on_dismiss=_forget)
    def confirm() -> None:
        st.markdown(t("klienci.archive.question", name=client.name, nip=client.nip))
        confirm_col, cancel_col = st.columns(2)
        if confirm_col.button(t("klienci.archive.confirm"), key="klienci_archive_confirm", type="primary"):
            # A dialog click reruns only the dialog: re-read the user rather than trust the page run's actor.
            current = session_actor()
            if current is None:
                st.rerun()
            archived = attempt(lambda: clients.archive_client(actor=current, client_id=client.id))
            if archived is not None:
                _forget()
                flash(t("klienci.archive.done", name=archived.name))
                st.rerun()
        if cancel_col.button(t("klienci.archive.cancel"), key="klienci_archive_cancel"):
            _forget()
            st.rerun()

    confirm()
