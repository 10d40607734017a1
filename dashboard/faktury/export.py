"""The filtered invoice list as XLSX or CSV: every invoice the filters match, not only the page shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import streamlit as st

from core.formatting import format_int
from core.security import Actor, Permission
from core.services import invoices
from dashboard.i18n import language, t

if TYPE_CHECKING:
    from dashboard.faktury.table import Filters


def _builder(actor: Actor, chosen: Filters, fmt: str, lang: str) -> Callable[[], bytes]:
    """The file is built when the button is clicked (Streamlit calls this), not on every rerun of the page."""

    def build() -> bytes:
        _name, _mime, data = invoices.export_invoices(
            actor=actor, fmt=fmt, lang=lang, client_id=chosen.client_id, subject_type=chosen.subject_type,
            statuses=chosen.statuses or None, date_from=chosen.date_from, date_to=chosen.date_to, search=chosen.search,
        )  # fmt: skip
        return data

    return build


def export_buttons(actor: Actor, chosen: Filters, total: int) -> None:
    if not actor.can(Permission.export_reports) or total == 0:
        return
    too_many = total > invoices.EXPORT_MAX_ROWS
    help_text = (
        t("faktury.export.too_many", count=format_int(total), limit=format_int(invoices.EXPORT_MAX_ROWS))
        if too_many
        else t("faktury.export.help", count=format_int(total))
    )
    xlsx_col, csv_col, _ = st.columns([2, 2, 3])
    for column, fmt in ((xlsx_col, "xlsx"), (csv_col, "csv")):
        column.download_button(
            t(f"faktury.export.{fmt}"), data=_builder(actor, chosen, fmt, language()),
            file_name=invoices.export_file_name(fmt), mime=invoices.EXPORT_FORMATS[fmt], key=f"faktury_export_{fmt}",
            disabled=too_many, help=help_text, on_click="ignore", icon=":material/table_view:",
        )  # fmt: skip
    if too_many:
        st.caption(help_text)
