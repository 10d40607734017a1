"""The office's KSeF package: billing periods in Warsaw time, usage from the rollups, the forecast, the policy.

A package month starts on the billing day (1–28) at midnight Europe/Warsaw. Usage comes from `usage_daily`, which the
worker keeps from the usage events (one per invoice sent or received).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from core import audit
from core.db import columns, session_scope
from core.errors import InvalidInput, NotFound
from core.formatting import WARSAW
from core.models import Package, UsageDaily, UsageEvent, UsageOfficeDaily, UsagePeriod
from core.security import Actor, Permission
from core.types import PackagePolicy, UsageKind, utcnow


@dataclass(frozen=True)
class Period:
    start: date  # first Warsaw day of the package month
    end: date  # first Warsaw day of the next one

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m}"


def _month_day(year: int, month: int, day: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, day)


def period_containing(day: date, billing_day: int) -> Period:
    if day.day >= billing_day:
        start = _month_day(day.year, day.month, billing_day)
    else:
        start = _month_day(day.year, day.month - 1, billing_day)
    return Period(start, _month_day(start.year, start.month + 1, billing_day))


def warsaw_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(WARSAW).date()


def warsaw_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=WARSAW)


@dataclass(frozen=True)
class PackageUsage:
    name: str
    limit: int
    billing_day: int
    policy: str
    period: Period
    used: int
    used_received: int
    used_sent: int
    elapsed_days: float
    forecast: int  # at the current pace, by the end of the period
    runs_out_on: date | None  # the day the pace crosses the limit, when inside the period

    @property
    def share(self) -> float:
        return self.used / self.limit if self.limit else 0.0

    @property
    def exhausted(self) -> bool:
        return self.limit > 0 and self.used >= self.limit

    @property
    def even_pace_today(self) -> float:
        return self.limit * self.elapsed_days / self.period.days


def forecast(used: int, limit: int, period: Period, now: datetime) -> tuple[float, int, date | None]:
    """(elapsed days, month-end forecast, run-out day) at the pace of the period so far."""
    elapsed = max((now - warsaw_midnight(period.start)).total_seconds() / 86400, 1 / 24)
    pace = used / elapsed
    projected = round(pace * period.days)
    runs_out = None
    if limit > 0 and pace > 0:
        days_to_limit = limit / pace
        if days_to_limit < period.days:
            runs_out = (warsaw_midnight(period.start) + timedelta(days=days_to_limit)).astimezone(WARSAW).date()
    return elapsed, projected, runs_out


def _package(session: Session, office_id: int) -> Package:
    package = session.exec(select(Package).where(Package.office_id == office_id)).first()
    if package is None:
        raise NotFound("Biuro nie ma pakietu KSeF.")
    return package


def usage_by_kind(session: Session, office_id: int, first: date, last: date) -> dict[str, int]:
    daily = columns(UsageOfficeDaily)
    rows = session.execute(
        sa.select(daily.kind, func.sum(daily.count))
        .where(daily.office_id == office_id, daily.day >= first, daily.day <= last)
        .group_by(daily.kind)
    ).all()
    return {kind: int(total or 0) for kind, total in rows}


def package_usage(*, actor: Actor, now: datetime | None = None) -> PackageUsage:
    actor.require(Permission.view)
    return office_package_usage(actor.office_id, now)


def office_package_usage(office_id: int, now: datetime | None = None) -> PackageUsage:
    now = now or utcnow()
    with session_scope() as session:
        package = _package(session, office_id)
        period = period_containing(warsaw_today(now), package.billing_day)
        by_kind = usage_by_kind(session, office_id, period.start, period.end - timedelta(days=1))
    used = sum(by_kind.values())
    elapsed, projected, runs_out = forecast(used, package.monthly_limit, period, now)
    return PackageUsage(
        name=package.name,
        limit=package.monthly_limit,
        billing_day=package.billing_day,
        policy=package.exhausted_policy,
        period=period,
        used=used,
        used_received=by_kind.get("invoice_received", 0),
        used_sent=by_kind.get("invoice_sent", 0),
        elapsed_days=elapsed,
        forecast=projected,
        runs_out_on=runs_out,
    )


def update_package(*, actor: Actor, monthly_limit: int, billing_day: int, policy: str, name: str | None = None) -> None:
    actor.require(Permission.manage_settings)
    problems = []
    if monthly_limit < 0:
        problems.append("Limit operacji nie może być ujemny.")
    if not 1 <= billing_day <= 28:
        problems.append("Dzień rozliczenia musi być liczbą od 1 do 28.")
    if policy not in set(PackagePolicy):
        problems.append("Polityka po wyczerpaniu: tylko ostrzegaj (warn) albo wstrzymuj prace nienaglące (hold).")
    if problems:
        raise InvalidInput(problems)
    with session_scope(write=True) as session:
        package = _package(session, actor.office_id)
        before = {"limit": package.monthly_limit, "day": package.billing_day, "policy": package.exhausted_policy}
        package.monthly_limit, package.billing_day = monthly_limit, billing_day
        package.exhausted_policy = PackagePolicy(policy)
        package.name = (name or package.name).strip() or package.name
        package.updated_at = utcnow()
        session.add(package)
        audit.record(session, actor, "package.update", f"office:{actor.office_id}", before=before, limit=monthly_limit)
    refresh_summaries(office_id=actor.office_id)
    _policy_cache.clear()


# --- rollups ---------------------------------------------------------------------------------------------------------
# usage_event → usage_daily (per client and Warsaw day) → usage_office_daily (per office and day) and usage_period
# (per client and package month). Screens read only the last two, so they never sum hundreds of thousands of rows.

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


# --- the policy in the queue -----------------------------------------------------------------------------------------

_POLICY_TTL_SECONDS = 30.0
_policy_cache: dict[str, tuple[float, list[int]]] = {}
_policy_lock = threading.Lock()


def held_offices() -> list[int]:
    """Offices whose package is used up under the `hold` policy: their non-urgent jobs wait (checked every 30 s)."""
    with _policy_lock:
        cached = _policy_cache.get("held")
        if cached and time.monotonic() - cached[0] < _POLICY_TTL_SECONDS:
            return cached[1]
    with session_scope() as session:
        candidates = session.exec(select(Package.office_id).where(Package.exhausted_policy == PackagePolicy.hold)).all()
    held = [office_id for office_id in candidates if office_package_usage(office_id).exhausted]
    with _policy_lock:
        _policy_cache["held"] = (time.monotonic(), held)
    return held
