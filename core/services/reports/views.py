"""What the Raporty page shows before an export: a preview of a report's first rows, its size and its chart's data,
from the same typed rows as the exports."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice
from typing import Any, cast

from sqlmodel import col, func, select

from core.db import session_scope
from core.formatting import WARSAW, warsaw_midnight
from core.models import UsageEvent
from core.security import Actor, Permission
from core.services.reports.exports import build, check_choice, check_clients
from core.services.reports.registry import ReportKind
from core.services.reports.rows import CertificateRow, LinkRow, UsageFilters, UsageMonthRow, usage_by_month
from core.services.reports.writers import cells
from core.texts import DEFAULT_LANGUAGE, render
from core.types import LinkStatus

PREVIEW_ROWS = 100


@dataclass(frozen=True)
class ReportView:
    kind: ReportKind
    title: str
    header: list[str]
    preview: list[list[Any]]  # the first rows as cells: labels rendered, dates and numbers as values
    total_rows: int
    series: list[tuple[str, str, int]]  # the chart's data: (x, series code, value)


def report_view(
    *,
    actor: Actor,
    kind: str,
    filters: UsageFilters | None = None,
    preview_rows: int = PREVIEW_ROWS,
    lang: str = DEFAULT_LANGUAGE,
) -> ReportView:
    actor.require(Permission.export_reports)
    spec = check_choice(kind, filters).on_page
    check_clients(actor, filters)
    office_id = actor.office_id
    header = [render(column.header, lang) for column in spec.columns]
    title = render(spec.title, lang)
    rows = build(office_id, spec.kind, filters)
    if spec.kind == ReportKind.usage_events:
        assert filters is not None
        preview = _first(rows, preview_rows)
        monthly = usage_by_month(office_id, filters)
        return ReportView(spec.kind, title, header, [cells(spec, r, lang) for r in preview],
                          _count_events(office_id, filters), _usage_series(monthly))  # fmt: skip
    everything = list(rows)
    if spec.kind == ReportKind.usage:
        series = _usage_series(cast(list[UsageMonthRow], everything))
    elif spec.kind == ReportKind.links:
        series = _status_series(cast(list[LinkRow], everything))
    else:
        series = _month_series(cast(list[CertificateRow], everything))
    preview_cells = [cells(spec, r, lang) for r in everything[:preview_rows]]
    return ReportView(spec.kind, title, header, preview_cells, len(everything), series)


def _first(rows: Iterable[Any], count: int) -> list[Any]:
    """The first rows of a streamed report; the query behind it is closed at once."""
    iterator = iter(rows)
    try:
        return list(islice(iterator, count))
    finally:
        if isinstance(iterator, Iterator) and hasattr(iterator, "close"):
            iterator.close()


def _usage_series(rows: list[UsageMonthRow]) -> list[tuple[str, str, int]]:
    """Operations per package month and kind."""
    totals: Counter[tuple[str, str]] = Counter()
    for row in rows:
        totals[(row.month, str(row.kind))] += row.count
    return [(month, kind, count) for (month, kind), count in sorted(totals.items())]


def _status_series(rows: list[LinkRow]) -> list[tuple[str, str, int]]:
    counts = Counter(row.link_status for row in rows)
    return [(str(status), "", counts[status]) for status in LinkStatus if counts[status]]


def _month_series(rows: list[CertificateRow]) -> list[tuple[str, str, int]]:
    counts = Counter(f"{row.valid_to.astimezone(WARSAW):%Y-%m}" for row in rows if row.valid_to is not None)
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
