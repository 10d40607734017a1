"""The client register table: filters, one page of rows with each client's link, usage, sync and problems, the
pager, and a click on a row that opens the client on the Klient page.

Rows come from `overview.client_table` (SQL aggregates, fast for 10 000 clients); the filters narrow them here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from core.formatting import format_date, format_datetime, format_int
from core.security import Actor
from core.services import overview
from core.services.clients import register as clients
from core.services.overview import ClientRow
from core.types import KsefEnvironment, LinkStatus
from dashboard.components.errors import attempt
from dashboard.components.status import method_label, status_text
from dashboard.i18n import relabelled, t
from dashboard.klient.selection import go_to_client

PAGE_SIZE = 50
SEARCH = "klienci_search"
STATUSES = "klienci_status"
ENVIRONMENT = "klienci_environment"
ARCHIVED = "klienci_archived"
PAGE = "klienci_page"
TABLE = "klienci_table"
HEADERS = {
    "nip": "klienci.col.nip",
    "name": "klienci.col.name",
    "environment": "klienci.col.environment",
    "link_status": "klienci.col.link_status",
    "auth_method": "klienci.col.auth_method",
    "certificate_valid_to": "klienci.col.certificate_valid_to",
    "usage_share": "klienci.col.usage",
    "last_sync": "klienci.col.last_sync",
    "open_problems": "klienci.col.open_problems",
}


@dataclass(frozen=True)
class Filters:
    search: str
    statuses: list[str]
    environment: str | None
    include_archived: bool

    def keep(self, row: ClientRow) -> bool:
        search = self.search.strip().lower()
        return (
            (not search or search in row.name.lower() or search in row.nip)
            and (not self.statuses or row.link_status in self.statuses)
            and (self.environment is None or row.environment == self.environment)
        )


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
        placeholder=t("common.choose"),
    )
    archived = archived_col.checkbox(t("klienci.filter.archived"), key=ARCHIVED, on_change=_first_page)
    return Filters(search, [str(s) for s in statuses], environment or None, archived)


def _archived_dates(actor: Actor) -> dict[int, str]:
    """When each archived client was archived (archived clients are always `unlinked`)."""
    page = attempt(
        lambda: clients.list_clients(actor=actor, link_statuses=[LinkStatus.unlinked], include_archived=True)
    )
    return {c.id: format_date(c.archived_at) for c in page.items if c.archived_at} if page else {}


def _row(row: ClientRow, archived: dict[int, str]) -> dict[str, Any]:
    return {
        "nip": row.nip,
        "name": row.name,
        "environment": row.environment,
        "link_status": status_text(row.link_status),
        "auth_method": method_label(row.auth_method),
        "certificate_valid_to": format_date(row.certificate_valid_to),
        "usage_share": row.usage_share,
        "last_sync": format_datetime(row.last_sync),
        "open_problems": row.open_problems,
        "archived": archived.get(row.id, ""),
    }


def _show(rows: list[dict[str, Any]], headers: dict[str, str]) -> list[int]:
    """Draw the rows; return the positions of the rows the user clicked (one at most)."""
    data = {t(text_key): [row.get(field, "") for row in rows] for field, text_key in headers.items()}
    usage = t(HEADERS["usage_share"])
    event = st.dataframe(
        data,
        hide_index=True,
        width="stretch",
        key=TABLE,
        on_select="rerun",
        selection_mode="single-row",
        column_config={
            usage: st.column_config.ProgressColumn(usage, min_value=0.0, max_value=1.0, format="percent"),
            t(HEADERS["open_problems"]): st.column_config.NumberColumn(format="%d"),
        },
    )
    return list(event.selection.rows)


def client_table(actor: Actor) -> list[ClientRow]:
    """Draw the filters and the current page of the table; return the rows shown (the edit form offers them)."""
    chosen = filters()
    found = attempt(lambda: overview.client_table(actor=actor, include_archived=chosen.include_archived)) or []
    matching = [row for row in found if chosen.keep(row)]
    pages = max(1, -(-len(matching) // PAGE_SIZE))
    page_number = max(1, int(st.session_state.get(PAGE, 1)))
    if page_number > pages:  # the filters shrank the result under the page the user was on
        page_number = st.session_state[PAGE] = pages
    first = (page_number - 1) * PAGE_SIZE
    items = matching[first : first + PAGE_SIZE]
    if not items:
        st.info(t("klienci.empty"))
        return []
    archived = _archived_dates(actor) if chosen.include_archived else {}
    headers = {**HEADERS, "archived": "klienci.col.archived"} if chosen.include_archived else HEADERS
    clicked = _show([_row(row, archived) for row in items], headers)
    if clicked:
        go_to_client(items[clicked[0]].id)
    info_col, pager_col = st.columns([4, 1], vertical_alignment="center")
    info_col.caption(
        t(
            "klienci.count",
            first=format_int(first + 1),
            last=format_int(first + len(items)),
            total=format_int(len(matching)),
        )
    )
    info_col.caption(t("klienci.open_hint"))
    if pages > 1:
        pager_col.number_input(t("klienci.page"), min_value=1, max_value=pages, step=1, key=PAGE)
    return items
