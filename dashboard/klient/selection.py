"""Which client the Klient page shows, and how other pages open it.

The chosen client's id lives under `klient_selected` (a plain value, not a widget key, so it survives pages that do
not draw the picker). Another page asks for the Klient page with `open_client` in a widget callback and calls
`follow_open_request` in its body: `st.switch_page` belongs in a script run, not in a callback.
"""

from __future__ import annotations

import streamlit as st

from core.models import ClientPublic
from core.security import Actor
from core.services.clients import register as clients
from dashboard.components.errors import attempt
from dashboard.i18n import t
from dashboard.nav import spec_for

SELECTED = "klient_selected"
GO = "klient_go"
PICK = "klient_pick"
KLIENT_PAGE = "klient.py"


def open_client(client_id: int) -> None:
    """Callback: show this client on the Klient page (the page switches in its next run)."""
    st.session_state[SELECTED] = int(client_id)
    st.session_state[GO] = True


def follow_open_request() -> None:
    if st.session_state.pop(GO, False):
        st.switch_page(spec_for(KLIENT_PAGE).path)


def go_to_client(client_id: int) -> None:
    """In a script run (not a callback): show this client on the Klient page now."""
    st.session_state[SELECTED] = int(client_id)
    st.switch_page(spec_for(KLIENT_PAGE).path)


def selected_id() -> int | None:
    value = st.session_state.get(SELECTED)
    return int(value) if value is not None else None


def _picked() -> None:
    st.session_state[SELECTED] = st.session_state.get(PICK)


def picker(actor: Actor) -> ClientPublic | None:
    """The client picker above the page; returns the chosen client, read again from the register."""
    page = attempt(lambda: clients.list_clients(actor=actor))
    if page is None:
        return None
    by_id = {client.id: client for client in page.items}
    chosen = selected_id()
    if chosen is not None and chosen not in by_id:
        wanted = chosen
        archived = attempt(lambda: clients.get_client(actor=actor, client_id=wanted))
        if archived is not None:
            by_id[archived.id] = archived
    if not by_id:
        st.info(t("klient.none"))
        return None
    if chosen not in by_id:
        chosen = None
    st.session_state[PICK] = chosen  # the picker follows a client opened from another page
    st.selectbox(
        t("klient.pick"),
        options=list(by_id),
        format_func=lambda client_id: f"{by_id[client_id].name} — NIP {by_id[client_id].nip}",
        index=None,
        placeholder=t("klient.pick_placeholder"),
        key=PICK,
        on_change=_picked,
    )
    return by_id.get(chosen) if chosen is not None else None
