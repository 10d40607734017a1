"""The client register table: filters, one page of rows with each client's link, usage, sync and problems, the
pager, and a click on a row that opens the client on the Klient page.

Rows come from `overview.client_table_page`: filtered, counted and paged in the database, so a page costs the same at
50 clients and at 10,000 and the browser receives one page. Statuses are chips (label in a coloured cell); expired
certificates red, soon-expiring amber. At 1440×900 a page shows 20+ rows and every column without scrolling sideways.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.formatting import format_date, format_datetime, format_int
from core.security import Actor
from core.services.overview import ClientRow, ClientTableFilter
from core.types import KsefEnvironment, LinkStatus
from dashboard.components.client_pages import client_page, page_count
from dashboard.components.status import chip_css, expiry_css, method_label, status_text
from dashboard.i18n import relabelled, t
from dashboard.klient.selection import go_to_client

PAGE_SIZE = 50
ROW_HEIGHT = 28  # compact rows: 20+ fit under the filters at 1440×900
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


def _first_page() -> None:
    st.session_state[PAGE] = 1


def filters() -> ClientTableFilter:
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
    return ClientTableFilter(search, tuple(str(s) for s in statuses), environment or None, archived)


def _archived_dates(shown: list[ClientRow]) -> dict[int, str]:
    """When each shown archived client was archived."""
    return {row.id: format_date(row.archived_at) for row in shown if row.archived_at}


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


def _show(items: list[ClientRow], rows: list[dict[str, Any]], headers: dict[str, str]) -> list[int]:
    """Draw the rows; return the positions of the rows the user clicked (one at most)."""
    frame = pd.DataFrame({t(text_key): [row.get(field, "") for row in rows] for field, text_key in headers.items()})
    status_col, expiry_col = t(HEADERS["link_status"]), t(HEADERS["certificate_valid_to"])
    chips = [chip_css(row.link_status) for row in items]
    expiries = [expiry_css(row.certificate_valid_to) for row in items]
    styled = frame.style.apply(lambda _: chips, subset=[status_col]).apply(lambda _: expiries, subset=[expiry_col])
    usage = t(HEADERS["usage_share"])
    event = st.dataframe(
        styled,
        hide_index=True,
        width="stretch",
        height=ROW_HEIGHT * (min(len(rows), PAGE_SIZE) + 1) + 3,
        row_height=ROW_HEIGHT,
        key=TABLE,
        on_select="rerun",
        selection_mode="single-row",
        column_config={
            t(HEADERS["nip"]): st.column_config.TextColumn(width=92),
            t(HEADERS["name"]): st.column_config.TextColumn(width=150),
            t(HEADERS["environment"]): st.column_config.TextColumn(width=55),
            status_col: st.column_config.TextColumn(width=115),
            t(HEADERS["auth_method"]): st.column_config.TextColumn(width=110),
            expiry_col: st.column_config.TextColumn(width=120),
            usage: st.column_config.ProgressColumn(usage, min_value=0.0, max_value=1.0, format="percent", width=120),
            t(HEADERS["last_sync"]): st.column_config.TextColumn(width=95),
            t(HEADERS["open_problems"]): st.column_config.NumberColumn(format="%d", width=55),
        },
    )
    return list(event.selection.rows)


def client_table(actor: Actor) -> list[ClientRow]:
    """Draw the filters and the current page of the table; return the rows shown (the edit form offers them)."""
    chosen = filters()
    found, page_number = client_page(actor, chosen, page_key=PAGE, page_size=PAGE_SIZE)
    pages = page_count(found.total, PAGE_SIZE) if found else 1
    items = found.items if found is not None else []
    if not items or found is None:
        st.info(t("klienci.empty"))
        return []
    first = (page_number - 1) * PAGE_SIZE
    archived = _archived_dates(items) if chosen.include_archived else {}
    headers = {**HEADERS, "archived": "klienci.col.archived"} if chosen.include_archived else HEADERS
    clicked = _show(items, [_row(row, archived) for row in items], headers)
    if clicked:
        go_to_client(items[clicked[0]].id)
    info_col, pager_col = st.columns([4, 1], vertical_alignment="center")
    info_col.caption(
        t(
            "klienci.count",
            first=format_int(first + 1),
            last=format_int(first + len(items)),
            total=format_int(found.total),
        )
    )
    info_col.caption(t("klienci.open_hint"))
    if pages > 1:
        pager_col.number_input(t("klienci.page"), min_value=1, max_value=pages, step=1, key=PAGE)
    return items
