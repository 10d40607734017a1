"""The local invoices: filters (client, direction, dates, status, search), one page of rows, the pager, downloads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import streamlit as st

from core.formatting import format_int
from core.security import Actor
from core.services import invoices
from core.services.invoices import InvoicePage, InvoiceRow
from core.types import InvoiceStatus, SubjectType
from dashboard.components.pickers import client_options
from dashboard.components.tables import show_table
from dashboard.faktury.export import export_buttons
from dashboard.faktury.invoice_view import invoice_section
from dashboard.faktury.rows import download_buttons, pick_label, table_row
from dashboard.i18n import relabelled, t

PAGE_SIZE = 50
CLIENT = "faktury_client"
CLIENT_SEARCH = "faktury_client_search"
DIRECTION = "faktury_direction"
DATE_FROM = "faktury_date_from"
DATE_TO = "faktury_date_to"
STATUSES = "faktury_status"
SEARCH = "faktury_search"
PAGE = "faktury_page"
PICK = "faktury_pick"
HEADERS = {
    "client": "faktury.col.client",
    "direction": "faktury.col.direction",
    "number": "faktury.col.number",
    "issue_date": "faktury.col.issue_date",
    "counterparty": "faktury.col.counterparty",
    "gross": "faktury.col.gross",
    "status": "faktury.col.status",
    "ksef_number": "faktury.col.ksef_number",
    "upo": "faktury.col.upo",
    "notes": "faktury.col.notes",
}


@dataclass(frozen=True)
class Filters:
    client_id: int | None
    subject_type: str | None
    date_from: date | None
    date_to: date | None
    statuses: list[str]
    search: str


def _first_page() -> None:
    st.session_state[PAGE] = 1


def filters(actor: Actor) -> Filters:
    client_col, direction_col, from_col, to_col = st.columns([4, 2, 2, 2], vertical_alignment="bottom")
    with client_col:
        options = client_options(actor, search_key=CLIENT_SEARCH)
        chosen = st.session_state.get(CLIENT)
        if chosen is not None and chosen not in options:
            st.session_state[CLIENT] = None  # the client left the narrowed list
        client_id = st.selectbox(
            t("faktury.filter.client"),
            options=[None, *options],
            format_func=lambda cid: t("faktury.filter.all_clients") if cid is None else options[cid],
            key=relabelled(CLIENT),
            on_change=_first_page,
            placeholder=t("common.choose"),
        )
    direction = direction_col.selectbox(
        t("faktury.filter.direction"),
        options=["", *SubjectType],
        format_func=lambda d: t(f"faktury.direction.{d}") if d else t("faktury.filter.all"),
        key=relabelled(DIRECTION),
        on_change=_first_page,
        placeholder=t("common.choose"),
    )
    date_from = from_col.date_input(
        t("faktury.filter.date_from"), value=None, format="DD.MM.YYYY", key=DATE_FROM, on_change=_first_page
    )
    date_to = to_col.date_input(
        t("faktury.filter.date_to"), value=None, format="DD.MM.YYYY", key=DATE_TO, on_change=_first_page
    )
    status_col, search_col = st.columns([2, 3], vertical_alignment="bottom")
    statuses = status_col.multiselect(
        t("faktury.filter.status"),
        options=list(InvoiceStatus),
        format_func=lambda s: t(f"faktury.status.{s}"),
        placeholder=t("faktury.filter.all"),
        key=relabelled(STATUSES),
        on_change=_first_page,
    )
    search = search_col.text_input(t("faktury.filter.search"), key=SEARCH, on_change=_first_page)
    return Filters(
        client_id=int(client_id) if client_id is not None else None,
        subject_type=direction or None,
        date_from=date_from if isinstance(date_from, date) else None,
        date_to=date_to if isinstance(date_to, date) else None,
        statuses=[str(s) for s in statuses],
        search=search,
    )


def _fetch(actor: Actor, chosen: Filters, page: int) -> InvoicePage:
    return invoices.list_invoices(
        actor=actor,
        client_id=chosen.client_id,
        subject_type=chosen.subject_type,
        statuses=chosen.statuses or None,
        date_from=chosen.date_from,
        date_to=chosen.date_to,
        search=chosen.search,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )


def invoice_table(actor: Actor) -> list[InvoiceRow]:
    """Draw the filters and the current page; return the invoices shown."""
    chosen = filters(actor)
    page_number = max(1, int(st.session_state.get(PAGE, 1)))
    page = _fetch(actor, chosen, page_number)
    pages = max(1, -(-page.total // PAGE_SIZE))
    if page_number > pages:
        page_number = st.session_state[PAGE] = pages
        page = _fetch(actor, chosen, page_number)
    if not page.items:
        st.info(t("faktury.empty"))
        return []
    show_table([table_row(row) for row in page.items], HEADERS, key="faktury_table")
    first = (page_number - 1) * PAGE_SIZE + 1
    last = first + len(page.items) - 1
    info_col, pager_col = st.columns([4, 1], vertical_alignment="center")
    info_col.caption(t("faktury.count", first=format_int(first), last=format_int(last), total=format_int(page.total)))
    if pages > 1:
        pager_col.number_input(t("faktury.page"), min_value=1, max_value=pages, step=1, key=PAGE)
    export_buttons(actor, chosen, page.total)
    return page.items


def downloads(actor: Actor, shown: list[InvoiceRow]) -> None:
    """XML and UPO of one invoice chosen among those on the current page."""
    if not shown:
        return
    by_id = {row.id: row for row in shown}
    if st.session_state.get(PICK) not in by_id:
        st.session_state[PICK] = shown[0].id
    st.subheader(t("faktury.download.title"))
    chosen = st.selectbox(
        t("faktury.download.pick"),
        options=list(by_id),
        format_func=lambda i: pick_label(by_id[i]),
        key=PICK,
        placeholder=t("common.choose"),
    )
    if chosen is not None:
        download_buttons(actor, by_id[chosen], key_prefix="faktury_download")
        invoice_section(actor, by_id[chosen].id, key_prefix="faktury_view")
