"""A report before it is exported: its chart and its first rows, in Polish formats."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import streamlit as st

from core.formatting import format_date, format_datetime, format_int
from core.security import Actor
from core.services.reports import views as report_views
from core.services.reports.registry import ReportKind
from core.services.reports.views import ReportView
from dashboard import charts
from dashboard.components.errors import attempt
from dashboard.i18n import language, t
from dashboard.raporty.filters import Choice


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return format_int(value)
    if isinstance(value, Decimal | float):
        return f"{value}".replace(".", ",")
    return str(value)


def figure(view: ReportView) -> Any:
    if view.kind in (ReportKind.usage, ReportKind.usage_events):
        return charts.usage_report_chart(view.series, t=t)
    if view.kind == ReportKind.links:
        return charts.link_status_chart({x: value for x, _, value in view.series}, t=t)
    return charts.certificate_calendar_chart([(x, value) for x, _, value in view.series], t=t)


def preview_table(view: ReportView) -> None:
    columns = {
        header: [cell(row[index]) if index < len(row) else "" for row in view.preview]
        for index, header in enumerate(view.header)
    }
    st.dataframe(columns, hide_index=True, width="stretch", key="raporty_preview")


def report_preview(actor: Actor, choice: Choice) -> ReportView | None:
    view = attempt(
        lambda: report_views.report_view(actor=actor, kind=choice.kind, filters=choice.filters, lang=language())
    )
    if view is None:
        return None
    if view.total_rows == 0:
        st.info(t("raporty.empty"))
        return view
    st.plotly_chart(figure(view), key="raporty_chart")
    shown = len(view.preview)
    st.caption(t("raporty.preview", shown=format_int(shown), total=format_int(view.total_rows)))
    preview_table(view)
    return view
