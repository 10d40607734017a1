"""Choosing clients in filters and forms. A register can hold thousands: at most PICKER_LIMIT are offered at once,
and a search box narrows them when there are more."""

from __future__ import annotations

import streamlit as st

from core.formatting import format_int
from core.security import Actor
from core.services.clients import register as clients
from dashboard.i18n import t

PICKER_LIMIT = 500


def client_label(name: str, nip: str) -> str:
    return f"{name} — NIP {nip}"


def client_options(actor: Actor, *, search_key: str, link_statuses: list[str] | None = None) -> dict[int, str]:
    """Client id → label for a selectbox or multiselect; draws a search box only when the register is large."""
    search = str(st.session_state.get(search_key) or "")
    page = clients.list_clients(actor=actor, search=search, link_statuses=link_statuses, limit=PICKER_LIMIT)
    if page.total > PICKER_LIMIT or search:
        st.text_input(t("pickers.search"), key=search_key, placeholder=t("pickers.search_placeholder"))
        if page.total > PICKER_LIMIT:
            st.caption(t("pickers.more", shown=format_int(PICKER_LIMIT), total=format_int(page.total)))
    return {client.id: client_label(client.name, client.nip) for client in page.items}
