"""The client register table: filters, one page of rows, the pager."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from core.formatting import format_date, format_int
from core.models import ClientPublic
from core.security import Actor
from core.services import clients
from core.types import KsefEnvironment, LinkStatus
from dashboard.components.tables import show_table
from dashboard.i18n import relabelled, t

PAGE_SIZE = 50
SEARCH = "klienci_search"
STATUSES = "klienci_status"
ENVIRONMENT = "klienci_environment"
ARCHIVED = "klienci_archived"
PAGE = "klienci_page"
HEADERS = {
    "nip": "klienci.col.nip",
    "name": "klienci.col.name",
    "email": "klienci.col.email",
    "erp_id": "klienci.col.erp_id",
    "environment": "klienci.col.environment",
    "link_status": "klienci.col.link_status",
}


@dataclass(frozen=True)
class Filters:
    search: str
    statuses: list[str]
    environment: str | None
    include_archived: bool


def _first_page() -> None:
    st.session_state[PAGE] = 1


def filters() -> Filters:
    search_col, status_col, env_col, archived_col = st.columns([3, 3, 2, 2], vertical_alignment="bottom")
    search = search_col.text_input(t("klienci.filter.search"), key=SEARCH, on_change=_first_page)
    statuses = status_col.multiselect(
        t("klienci.filter.status"),
        options=list(LinkStatus),
        format_func=lambda status: t(f"link_status.{status}"),
        placeholder=t("klienci.filter.all"),
        key=relabelled(STATUSES),
        on_change=_first_page,
    )
    environment = env_col.selectbox(
        t("klienci.filter.environment"),
        options=["", *KsefEnvironment],
        format_func=lambda env: env or t("klienci.filter.all"),
        key=relabelled(ENVIRONMENT),
        on_change=_first_page,
    )
    archived = archived_col.checkbox(t("klienci.filter.archived"), key=ARCHIVED, on_change=_first_page)
    return Filters(search, [str(s) for s in statuses], environment or None, archived)


def _fetch(actor: Actor, chosen: Filters, page: int) -> clients.ClientPage:
    return clients.list_clients(
        actor=actor,
        search=chosen.search,
        link_statuses=chosen.statuses,
        environment=chosen.environment,
        include_archived=chosen.include_archived,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )


def _row(client: ClientPublic) -> dict[str, str]:
    return {
        "nip": client.nip,
        "name": client.name,
        "email": client.email,
        "erp_id": client.erp_id,
        "environment": client.environment,
        "link_status": t(f"link_status.{client.link_status}"),
        "archived": format_date(client.archived_at),
    }


def client_table(actor: Actor) -> list[ClientPublic]:
    """Draw the filters and the current page of the table; return the clients shown (the edit form offers them)."""
    chosen = filters()
    page_number = max(1, int(st.session_state.get(PAGE, 1)))
    page = _fetch(actor, chosen, page_number)
    pages = max(1, -(-page.total // PAGE_SIZE))
    if page_number > pages:  # the filters shrank the result under the page the user was on
        page_number = st.session_state[PAGE] = pages
        page = _fetch(actor, chosen, page_number)
    if not page.items:
        st.info(t("klienci.empty"))
        return []
    headers = {**HEADERS, "archived": "klienci.col.archived"} if chosen.include_archived else HEADERS
    show_table([_row(client) for client in page.items], headers, key="klienci_table")
    first = (page_number - 1) * PAGE_SIZE + 1
    last = first + len(page.items) - 1
    info_col, pager_col = st.columns([4, 1], vertical_alignment="center")
    info_col.caption(t("klienci.count", first=format_int(first), last=format_int(last), total=format_int(page.total)))
    if pages > 1:
        pager_col.number_input(t("klienci.page"), min_value=1, max_value=pages, step=1, key=PAGE)
    return page.items
