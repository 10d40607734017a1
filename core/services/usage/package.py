"""The office's KSeF package: billing periods in Warsaw time, usage from the rollups, the forecast, the policy.

A package month starts on the billing day (1–28) at midnight Europe/Warsaw. Usage comes from `usage_daily`, which the
worker keeps from the usage events (one per invoice sent or received).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, func, select

from core import audit
from core.db import columns, session_scope
from core.errors import InvalidInput, NotFound
from core.formatting import WARSAW, warsaw_midnight, warsaw_today
from core.models import Package, UsageOfficeDaily
from core.security import Actor, Permission
from core.services.usage.periods import Period, period_containing
from core.services.usage.rollups import refresh_summaries
from core.texts import Text
from core.types import PackagePolicy, utcnow


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
    # Used up: the day cumulative usage reached the limit; else the day the pace will reach it, inside the period.
    runs_out_on: date | None

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


def crossing_day(daily: Iterable[tuple[date, int]], limit: int) -> date | None:
    """The first day on which cumulative usage reached `limit`, or None when it never did."""
    total = 0
    for day, count in sorted(daily):
        total += count
        if total >= limit:
            return day
    return None


def _package(session: Session, office_id: int) -> Package:
    package = session.exec(select(Package).where(Package.office_id == office_id)).first()
    if package is None:
        raise NotFound(Text("package.missing"))
    return package


def office_usage_per_day(session: Session, office_id: int, first: date, last: date) -> list[tuple[date, int]]:
    daily = columns(UsageOfficeDaily)
    rows = session.execute(
        sa.select(daily.day, func.sum(daily.count))
        .where(daily.office_id == office_id, daily.day >= first, daily.day <= last)
        .group_by(daily.day)
        .order_by(daily.day)
    ).all()
    return [(day, int(total or 0)) for day, total in rows]


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
        last = period.end - timedelta(days=1)
        by_kind = usage_by_kind(session, office_id, period.start, last)
        used = sum(by_kind.values())
        # The pace's day would fall before the usage when the package is already used up: take the real day.
        crossed = crossing_day(office_usage_per_day(session, office_id, period.start, last), package.monthly_limit)
    elapsed, projected, runs_out = forecast(used, package.monthly_limit, period, now)
    if package.monthly_limit > 0 and used >= package.monthly_limit:
        runs_out = crossed
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
    if monthly_limit < 1:
        problems.append(Text("package.limit_min"))
    if not 1 <= billing_day <= 28:
        problems.append(Text("package.billing_day"))
    if policy not in set(PackagePolicy):
        problems.append(Text("package.policy"))
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
    # The queue's hold decision (usage.hold) follows within its 30-second cache.
    refresh_summaries(office_id=actor.office_id)
