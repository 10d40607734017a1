"""One page of the client register, read from the database for the page the user is on (Klienci, Połącz firmy)."""

from __future__ import annotations

import streamlit as st

from core.security import Actor
from core.services import overview
from core.services.overview import ClientTableFilter, ClientTablePage
from dashboard.components.errors import attempt


def page_count(total: int, page_size: int) -> int:
    return max(1, -(-total // page_size))


def client_page(
    actor: Actor, chosen: ClientTableFilter, *, page_key: str, page_size: int
) -> tuple[ClientTablePage | None, int]:
    """The page of matching clients under `page_key` and its number; when the filter shrank the result under that
    page, the last page instead (and `page_key` moves there). None when it could not be read (the error is shown)."""
    page_number = max(1, int(st.session_state.get(page_key) or 1))

    def read(number: int) -> ClientTablePage | None:
        return attempt(
            lambda: overview.client_table_page(
                actor=actor, chosen=chosen, limit=page_size, offset=(number - 1) * page_size
            )
        )

    found = read(page_number)
    if found is not None and page_number > page_count(found.total, page_size):
        page_number = st.session_state[page_key] = page_count(found.total, page_size)
        found = read(page_number)
    return found, page_number
