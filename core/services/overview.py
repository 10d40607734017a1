"""The overview and the client table, from SQL aggregates and rollups only (DESIGN.md §8: 10,000 clients in 300 ms).

Nothing here reads raw invoices or usage events row by row; counts come from GROUP BY queries and `usage_daily`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, func, select

from core.db import columns, session_scope
from core.models import Client, Credential, EnvironmentStatus, Link, Problem, SyncState, UsagePeriod
from core.security import Actor, Permission
from core.services.usage.package import PackageUsage, office_package_usage, office_usage_per_day
from core.types import AuthMethod, KsefEnvironment, LinkStatus, ProblemStatus, utcnow

EXPIRY_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Kpis:
    clients_by_status: dict[str, int]
    problems_by_class: dict[str, int]
    certificates_expiring: int
    package: PackageUsage
    environments: dict[KsefEnvironment, str]

    @property
    def clients(self) -> int:
        return sum(v for k, v in self.clients_by_status.items() if k != LinkStatus.unlinked)


def kpis(*, actor: Actor, now: datetime | None = None) -> Kpis:
    actor.require(Permission.view)
    now = now or utcnow()
    with session_scope() as session:
        by_status = dict(
            session.exec(
                select(Client.link_status, func.count())
                .where(Client.office_id == actor.office_id, col(Client.archived_at).is_(None))
                .group_by(Client.link_status)
            ).all()
        )
        by_class = dict(
            session.exec(
                select(Problem.problem_class, func.count())
                .where(Problem.office_id == actor.office_id, Problem.status == ProblemStatus.open)
                .group_by(Problem.problem_class)
            ).all()
        )
        expiring = session.exec(
            select(func.count()).where(
                Credential.office_id == actor.office_id,
                Credential.kind == AuthMethod.ksef_certificate,
                col(Credential.revoked_at).is_(None),
                col(Credential.valid_to) > now,
                col(Credential.valid_to) <= now + EXPIRY_WINDOW,
            )
        ).one()
        environments = {e.environment: e.status for e in session.exec(select(EnvironmentStatus)).all()}
    return Kpis(by_status, by_class, int(expiring), office_package_usage(actor.office_id, now), environments)


def usage_per_day(*, actor: Actor, first: date, last: date) -> list[tuple[date, int]]:
    actor.require(Permission.view)
    with session_scope() as session:
        return office_usage_per_day(session, actor.office_id, first, last)


def problems_over_time(*, actor: Actor, days: int = 30, now: datetime | None = None) -> list[tuple[date, str, int]]:
    """New problems per day and class (by first occurrence)."""
    actor.require(Permission.view)
    since = (now or utcnow()) - timedelta(days=days)
    day = func.date(Problem.first_seen_at)
    with session_scope() as session:
        rows = session.exec(
            select(day, Problem.problem_class, func.count())
            .where(Problem.office_id == actor.office_id, col(Problem.first_seen_at) >= since)
            .group_by(day, Problem.problem_class)
            .order_by(day)
        ).all()
    return [(date.fromisoformat(str(d)[:10]), cls, int(n)) for d, cls, n in rows]


def certificate_calendar(*, actor: Actor, months: int = 12, now: datetime | None = None) -> list[tuple[date, int]]:
    """Certificates ending per month, for the next `months` months."""
    actor.require(Permission.view)
    now = now or utcnow()
    with session_scope() as session:
        ends = session.exec(
            select(Credential.valid_to).where(
                Credential.office_id == actor.office_id,
                Credential.kind == AuthMethod.ksef_certificate,
                col(Credential.revoked_at).is_(None),
                col(Credential.valid_to) > now,
                col(Credential.valid_to) <= now + timedelta(days=31 * months),
            )
        ).all()
    counts: dict[date, int] = defaultdict(int)
    for end in ends:
        if end is not None:
            counts[date(end.year, end.month, 1)] += 1
    return sorted(counts.items())


@dataclass(frozen=True)
class ClientRow:
    id: int
    nip: str
    name: str
    environment: str
    link_status: str
    auth_method: str
    certificate_valid_to: datetime | None
    usage: int
    usage_share: float  # of the package limit, this period
    last_sync: datetime | None
    open_problems: int


def client_table(*, actor: Actor, include_archived: bool = False, now: datetime | None = None) -> list[ClientRow]:
    """One row per client with everything the Klienci table shows, in a handful of aggregate queries."""
    actor.require(Permission.view)
    package = office_package_usage(actor.office_id, now)
    client, link, credential = columns(Client), columns(Link), columns(Credential)
    per_period, problem, state = columns(UsagePeriod), columns(Problem), columns(SyncState)
    active_link = (
        sa.select(link.client_id, link.auth_method, link.credential_id).where(link.unlinked_at.is_(None)).subquery()
    )
    usage = (
        sa.select(per_period.client_id, func.sum(per_period.count).label("used"))
        .where(per_period.office_id == actor.office_id, per_period.period_start == package.period.start)
        .group_by(per_period.client_id)
        .subquery()
    )
    problems = (
        sa.select(problem.client_id, func.count().label("open"))
        .where(problem.office_id == actor.office_id, problem.status == ProblemStatus.open)
        .group_by(problem.client_id)
        .subquery()
    )
    syncs = (
        sa.select(state.client_id, func.min(state.last_success_at).label("last_sync"))
        .group_by(state.client_id)
        .subquery()
    )
    query = (
        sa.select(
            client.id,
            client.nip,
            client.name,
            client.environment,
            client.link_status,
            active_link.c.auth_method,
            credential.valid_to,
            usage.c.used,
            syncs.c.last_sync,
            problems.c.open,
        )
        .select_from(client.id.table)
        .join(active_link, active_link.c.client_id == client.id, isouter=True)
        .join(credential.id.table, credential.id == active_link.c.credential_id, isouter=True)
        .join(usage, usage.c.client_id == client.id, isouter=True)
        .join(problems, problems.c.client_id == client.id, isouter=True)
        .join(syncs, syncs.c.client_id == client.id, isouter=True)
        .where(client.office_id == actor.office_id)
        .order_by(func.lower(client.name))
    )
    if not include_archived:
        query = query.where(client.archived_at.is_(None))
    with session_scope() as session:
        rows = session.execute(query).all()
    limit = package.limit or 1
    return [
        ClientRow(
            id=r[0],
            nip=r[1],
            name=r[2],
            environment=r[3],
            link_status=r[4],
            auth_method=r[5] or "",
            certificate_valid_to=r[6],
            usage=int(r[7] or 0),
            usage_share=int(r[7] or 0) / limit,
            last_sync=r[8],
            open_problems=int(r[9] or 0),
        )
        for r in rows
    ]
