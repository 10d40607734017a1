"""Usage rollups kept by the worker.

usage_event → usage_daily (per client and Warsaw day) → usage_office_daily (per office and day) and usage_period
(per client and package month). Screens read only the last two, so they never sum hundreds of thousands of rows.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, func, select

from core.db import columns, session_scope
from core.formatting import WARSAW, warsaw_midnight, warsaw_today
from core.models import Package, UsageDaily, UsageEvent, UsageOfficeDaily, UsagePeriod
from core.services.usage.periods import period_containing
from core.types import UsageKind

ROLLUP_RECENT_DAYS = 2


def rollup_usage(*, days: int = ROLLUP_RECENT_DAYS, now: datetime | None = None) -> int:
    """Rebuild the last `days` Warsaw days from the events (late commits included), then the summaries."""
    first = warsaw_today(now) - timedelta(days=days - 1)
    return rebuild_rollup(first, now=now)


def rebuild_rollup(first: date, *, now: datetime | None = None) -> int:
    since = warsaw_midnight(first)
    with session_scope(write=True) as session:
        session.execute(sa.delete(UsageDaily).where(col(UsageDaily.day) >= first))
        events = session.exec(
            select(UsageEvent.office_id, UsageEvent.client_id, UsageEvent.kind, UsageEvent.occurred_at).where(
                col(UsageEvent.occurred_at) >= since
            )
        )
        counts: dict[tuple[int, int, date, str], int] = {}
        for office_id, client_id, kind, occurred in events:
            key = (office_id, client_id, occurred.astimezone(WARSAW).date(), kind)
            counts[key] = counts.get(key, 0) + 1
        session.add_all(
            UsageDaily(office_id=o, client_id=c, day=d, kind=UsageKind(k), count=n)
            for (o, c, d, k), n in counts.items()
        )
    refresh_summaries(since=first, now=now)
    return len(counts)


def refresh_summaries(*, office_id: int | None = None, since: date | None = None, now: datetime | None = None) -> None:
    """Recompute the office's daily totals (from `since` or the current package month) and its clients' totals for
    the current package month, from `usage_daily`, in one transaction per office."""
    daily, office_daily, per_period = columns(UsageDaily), columns(UsageOfficeDaily), columns(UsagePeriod)
    with session_scope() as session:
        query = select(Package.office_id, Package.billing_day)
        if office_id is not None:
            query = query.where(Package.office_id == office_id)
        packages = session.exec(query).all()
    for office, billing_day in packages:
        period = period_containing(warsaw_today(now), billing_day)
        first = min(period.start, since) if since else period.start
        with session_scope(write=True) as session:
            session.execute(
                sa.delete(UsageOfficeDaily).where(office_daily.office_id == office, office_daily.day >= first)
            )
            session.execute(
                sa.insert(UsageOfficeDaily).from_select(
                    ["office_id", "day", "kind", "count"],
                    sa.select(daily.office_id, daily.day, daily.kind, func.sum(daily.count))
                    .where(daily.office_id == office, daily.day >= first)
                    .group_by(daily.office_id, daily.day, daily.kind),
                )
            )
            session.execute(
                sa.delete(UsagePeriod).where(per_period.office_id == office, per_period.period_start == period.start)
            )
            session.execute(
                sa.insert(UsagePeriod).from_select(
                    ["client_id", "period_start", "kind", "office_id", "count"],
                    sa.select(
                        daily.client_id, sa.literal(period.start), daily.kind, daily.office_id, func.sum(daily.count)
                    )
                    .where(daily.office_id == office, daily.day >= period.start, daily.day < period.end)
                    .group_by(daily.client_id, daily.kind, daily.office_id),
                )
            )
