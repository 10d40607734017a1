"""The report chooser and its filters. Date range, clients and operation kinds apply to the usage reports only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import streamlit as st

from core.formatting import warsaw_today
from core.security import Actor
from core.services.reports.exports import FORMATS
from core.services.reports.registry import REPORTS, ReportKind
from core.services.reports.rows import UsageFilters
from core.types import UsageKind
from dashboard.components.pickers import client_options
from dashboard.i18n import relabelled, t

KIND = "raporty_kind"
FIRST = "raporty_first"
LAST = "raporty_last"
CLIENTS = "raporty_clients"
CLIENT_SEARCH = "raporty_client_search"
KINDS = "raporty_kinds"
FORMAT = "raporty_format"
USAGE_REPORTS = frozenset(kind for kind, spec in REPORTS.items() if spec.needs_dates)


@dataclass(frozen=True)
class Choice:
    kind: str
    fmt: str
    filters: UsageFilters | None  # None for the reports without filters


def default_range(today: date) -> tuple[date, date]:
    """From the first day of the previous calendar month to today."""
    previous_month_end = today.replace(day=1) - timedelta(days=1)
    return previous_month_end.replace(day=1), today


def current_choice() -> Choice:
    """The choice as session state holds it (callbacks read it before the widgets are drawn again)."""
    kind = str(st.session_state.get(KIND) or "usage")
    fmt = str(st.session_state.get(FORMAT) or "xlsx")
    if kind not in USAGE_REPORTS:
        return Choice(kind, fmt, None)
    first, last = default_range(warsaw_today())
    chosen_first = st.session_state.get(FIRST)
    chosen_last = st.session_state.get(LAST)
    return Choice(
        kind,
        fmt,
        UsageFilters(
            first=chosen_first if isinstance(chosen_first, date) else first,
            last=chosen_last if isinstance(chosen_last, date) else last,
            client_ids=[int(i) for i in st.session_state.get(CLIENTS) or []] or None,
            kinds=[str(k) for k in st.session_state.get(KINDS) or []] or None,
        ),
    )


def chooser(actor: Actor) -> Choice:
    first, last = default_range(warsaw_today())
    st.session_state.setdefault(FIRST, first)
    st.session_state.setdefault(LAST, last)
    kind_col, format_col = st.columns([3, 1], vertical_alignment="bottom")
    kind = kind_col.selectbox(
        t("raporty.filter.report"),
        options=list(ReportKind),
        format_func=lambda k: t(f"report.title.{k}"),
        key=relabelled(KIND),
        placeholder=t("common.choose"),
    )
    st.session_state.setdefault(FORMAT, "xlsx")
    format_col.radio(
        t("raporty.filter.format"), options=list(FORMATS), format_func=str.upper, key=FORMAT, horizontal=True
    )
    if kind in USAGE_REPORTS:
        from_col, to_col, kinds_col = st.columns(3, vertical_alignment="bottom")
        from_col.date_input(t("raporty.filter.first"), format="DD.MM.YYYY", key=FIRST)
        to_col.date_input(t("raporty.filter.last"), format="DD.MM.YYYY", key=LAST)
        kinds_col.multiselect(
            t("raporty.filter.kinds"),
            options=list(UsageKind),
            format_func=lambda k: t(f"usage_kind.{k}"),
            placeholder=t("raporty.filter.all"),
            key=relabelled(KINDS),
        )
        options = client_options(actor, search_key=CLIENT_SEARCH)
        chosen = [i for i in st.session_state.get(CLIENTS) or [] if i in options]
        st.session_state[CLIENTS] = chosen
        st.multiselect(
            t("raporty.filter.clients"),
            options=list(options),
            format_func=options.__getitem__,
            placeholder=t("raporty.filter.all_clients"),
            key=CLIENTS,
        )
    else:
        st.caption(t("raporty.filter.none"))
    return current_choice()
