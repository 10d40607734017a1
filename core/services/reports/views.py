"""What the Raporty page shows before an export: a preview of a report's first rows, its size and its chart's data.

The same queries as the exports (core.services.reports.tables), reached with the acting user instead of an office id.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any

from sqlmodel import col, func, select

from core.db import session_scope
from core.errors import InvalidInput
from core.formatting import WARSAW, warsaw_midnight
from core.models import UsageEvent
from core.security import Actor, Permission
from core.services.reports.exports import REPORTS, build
from core.services.reports.tables import KIND_NAMES_PL, UsageFilters, usage_by_month
from core.types import LinkStatus

PREVIEW_ROWS = 100
_KIND_CODES = {name: code for code, name in KIND_NAMES_PL.items()}
LINK_STATUS_COLUMN = 3  # in core.services.reports.tables.links_and_credentials
VALID_TO_COLUMN = 0  # in core.services.reports.tables.certificate_calendar


@dataclass(frozen=True)
class ReportView:
    kind: str
    title: str  # Polish, from exports.REPORTS
    header: list[str]
    preview: list[list[Any]]  # the first rows, raw values (dates as date/datetime)
    total_rows: int
    series: list[tuple[str, str, int]]  # the chart's data: (x, series code, value)


def report_view(
    *, actor: Actor, kind: str, filters: UsageFilters | None = None, preview_rows: int = PREVIEW_ROWS
) -> ReportView:
    actor.require(Permission.export_reports)
    if kind not in REPORTS:
        raise InvalidInput(f"Nieznany raport {kind!r}.")
    if kind in ("usage", "usage_events"):
        if filters is None:
            raise InvalidInput("Raport użycia wymaga zakresu dat.")
        if filters.last < filters.first:
            raise InvalidInput("Data końcowa jest wcześniejsza niż początkowa.")
    office_id = actor.office_id
    report = build(office_id, kind, filters)
    if kind == "usage_events":
        assert filters is not None
        rows = iter(report.rows)
        try:
            preview = [list(row) for row in islice(rows, preview_rows)]
        finally:
            close = getattr(rows, "close", None)
            if close is not None:
                close()  # ends the streaming query
        monthly = list(usage_by_month(office_id, filters).rows)
        return ReportView(kind, REPORTS[kind], report.header, preview, _count_events(office_id, filters),
                          _usage_series(monthly))  # fmt: skip
    everything = [list(row) for row in report.rows]
    if kind == "usage":
        series = _usage_series(everything)
    elif kind == "links":
        series = _status_series(everything)
    else:
        series = _month_series(everything)
    return ReportView(kind, REPORTS[kind], report.header, everything[:preview_rows], len(everything), series)


def _usage_series(rows: list[Any]) -> list[tuple[str, str, int]]:
    """Operations per package month and kind (rows: NIP, name, month, kind name, count)."""
    totals: Counter[tuple[str, str]] = Counter()
    for _nip, _name, month, kind_name, count in rows:
        totals[(str(month), _KIND_CODES.get(kind_name, kind_name))] += int(count)
    return [(month, kind, count) for (month, kind), count in sorted(totals.items())]


def _status_series(rows: list[list[Any]]) -> list[tuple[str, str, int]]:
    counts = Counter(str(row[LINK_STATUS_COLUMN]) for row in rows)
    return [(status, "", counts[status]) for status in LinkStatus if counts[status]]


def _month_series(rows: list[list[Any]]) -> list[tuple[str, str, int]]:
    counts: Counter[str] = Counter()
    for row in rows:
        valid_to = row[VALID_TO_COLUMN]
        if isinstance(valid_to, datetime):
            counts[f"{valid_to.astimezone(WARSAW):%Y-%m}"] += 1
        elif isinstance(valid_to, date):
            counts[f"{valid_to:%Y-%m}"] += 1
    return [(month, "", count) for month, count in sorted(counts.items())]


def _count_events(office_id: int, filters: UsageFilters) -> int:
    query = select(func.count()).where(
        UsageEvent.office_id == office_id,
        col(UsageEvent.occurred_at) >= warsaw_midnight(filters.first),
        col(UsageEvent.occurred_at) < warsaw_midnight(filters.last + timedelta(days=1)),
    )
    if filters.client_ids:
        query = query.where(col(UsageEvent.client_id).in_(filters.client_ids))
    if filters.kinds:
        query = query.where(col(UsageEvent.kind).in_(filters.kinds))
    with session_scope() as session:
        return int(session.exec(query).one())
