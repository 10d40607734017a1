"""The overview and the client table, from SQL aggregates and rollups only (DESIGN.md §8: 10,000 clients in 300 ms).

Nothing here reads raw invoices or usage events row by row; counts come from GROUP BY queries and `usage_daily`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, func, select

from core.db import columns, session_scope
from core.models import Client, Credential, EnvironmentStatus, Link, Problem, SyncState, UsagePeriod
from core.security import Actor, Permission
from core.services.scope import clients_in_office
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
    archived_at: datetime | None = None


@dataclass(frozen=True)
class ClientTablePage:
    """One page of the Klienci table and how many clients match the filters (the register is never sent whole)."""

    items: list[ClientRow]
    total: int


@dataclass(frozen=True)
class ClientTableFilter:
    search: str = ""  # part of the name (any case) or of the NIP
    link_statuses: tuple[str, ...] = ()
    environment: str | None = None
    include_archived: bool = False


def _client_rows_query(
    actor: Actor, package: PackageUsage, chosen: ClientTableFilter, ids: list[int] | None = None
) -> sa.Select[Any]:
    """The table's rows; with `ids` (one page of client ids) every aggregate reads only those clients' rows."""
    client, link, credential = columns(Client), columns(Link), columns(Credential)
    per_period, problem, state = columns(UsagePeriod), columns(Problem), columns(SyncState)

    def only(column: Any) -> Any:
        return column.in_(ids) if ids is not None else sa.true()

    active_link = (
        sa.select(link.client_id, link.auth_method, link.credential_id)
        .where(link.unlinked_at.is_(None), only(link.client_id))
        .subquery()
    )
    usage = (
        sa.select(per_period.client_id, func.sum(per_period.count).label("used"))
        .where(per_period.office_id == actor.office_id, per_period.period_start == package.period.start)
        .where(only(per_period.client_id))
        .group_by(per_period.client_id)
        .subquery()
    )
    problems = (
        sa.select(problem.client_id, func.count().label("open"))
        .where(problem.office_id == actor.office_id, problem.status == ProblemStatus.open, only(problem.client_id))
        .group_by(problem.client_id)
        .subquery()
    )
    syncs = (
        sa.select(state.client_id, func.min(state.last_success_at).label("last_sync"))
        .where(only(state.client_id))
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
            client.archived_at,
        )
        .select_from(client.id.table)
        .join(active_link, active_link.c.client_id == client.id, isouter=True)
        .join(credential.id.table, credential.id == active_link.c.credential_id, isouter=True)
        .join(usage, usage.c.client_id == client.id, isouter=True)
        .join(problems, problems.c.client_id == client.id, isouter=True)
        .join(syncs, syncs.c.client_id == client.id, isouter=True)
    )
    return query.where(*_client_conditions(actor, chosen), only(client.id))


def _client_conditions(actor: Actor, chosen: ClientTableFilter) -> list[Any]:
    client = columns(Client)
    conditions: list[Any] = [client.office_id == actor.office_id]
    if not chosen.include_archived:
        conditions.append(client.archived_at.is_(None))
    if chosen.search.strip():
        pattern = f"%{chosen.search.strip().lower()}%"
        conditions.append(sa.or_(func.lower(client.name).like(pattern), client.nip.like(pattern)))
    if chosen.link_statuses:
        conditions.append(client.link_status.in_(list(chosen.link_statuses)))
    if chosen.environment:
        conditions.append(client.environment == chosen.environment)
    return conditions


def _client_row(r: Any, limit: int) -> ClientRow:
    return ClientRow(
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
        archived_at=r[10],
    )


def client_table(*, actor: Actor, include_archived: bool = False, now: datetime | None = None) -> list[ClientRow]:
    """One row per client with everything the Klienci table shows, in a handful of aggregate queries."""
    actor.require(Permission.view)
    package = office_package_usage(actor.office_id, now)
    query = _client_rows_query(actor, package, ClientTableFilter(include_archived=include_archived))
    with session_scope() as session:
        rows = session.execute(query.order_by(func.lower(Client.name))).all()
    limit = package.limit or 1
    return [_client_row(r, limit) for r in rows]


def client_table_page(
    *, actor: Actor, chosen: ClientTableFilter, limit: int, offset: int = 0, now: datetime | None = None
) -> ClientTablePage:
    """The Klienci table filtered, counted and paged in the database: the work and the answer stay one page."""
    actor.require(Permission.view)
    package = office_package_usage(actor.office_id, now)
    client = columns(Client)
    conditions = _client_conditions(actor, chosen)
    count = sa.select(func.count()).select_from(client.id.table).where(*conditions)
    # The page's ids first (an index-friendly query), then the aggregates for those clients only.
    order = (func.lower(client.name), client.id)
    page_ids = sa.select(client.id).where(*conditions).order_by(*order).limit(limit).offset(offset)
    with session_scope() as session:
        total = int(session.execute(count).scalar_one())
        ids = [int(i) for i in session.execute(page_ids).scalars()]
        rows = session.execute(_client_rows_query(actor, package, chosen, ids).order_by(*order)).all() if ids else []
    share_of = package.limit or 1
    return ClientTablePage(items=[_client_row(r, share_of) for r in rows], total=total)


@dataclass(frozen=True)
class ClientChoice:
    """What a picker shows of a chosen client and what a connect choice needs (no aggregate, no secret)."""

    id: int
    nip: str
    name: str
    environment: str
    link_status: str


CHUNK = 500  # ids per IN (…) list: a chosen set can be the whole register, far over a driver's parameter limit


def client_ids(*, actor: Actor, chosen: ClientTableFilter) -> list[int]:
    """Every id of the office's clients matching the filter, in the table's order: "choose every client matching"
    is one id query in the database, and no client's row is read."""
    actor.require(Permission.view)
    client = columns(Client)
    query = sa.select(client.id).where(*_client_conditions(actor, chosen)).order_by(func.lower(client.name), client.id)
    with session_scope() as session:
        return [int(i) for i in session.execute(query).scalars()]


def client_choices(*, actor: Actor, client_ids: Sequence[int]) -> list[ClientChoice]:
    """The chosen clients (of the actor's office; any other id is NotFound), in the order given: only their rows are
    read, a chunk of ids at a time."""
    actor.require(Permission.view)
    client = columns(Client)
    found: dict[int, ClientChoice] = {}
    with session_scope() as session:
        wanted = clients_in_office(session, actor, client_ids)
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            query = sa.select(client.id, client.nip, client.name, client.environment, client.link_status).where(
                client.office_id == actor.office_id, client.id.in_(chunk)
            )
            for r in session.execute(query).all():
                found[int(r[0])] = ClientChoice(int(r[0]), r[1], r[2], str(r[3]), str(r[4]))
    return [found[client_id] for client_id in wanted if client_id in found]


def token_clients(*, actor: Actor, limit: int) -> ClientTablePage:
    """Active clients whose working link signs in with a KSeF token (the tokens end with the sunset): how many, and
    the first `limit` of them by name, counted and limited in the database."""
    actor.require(Permission.view)
    client, link = columns(Client), columns(Link)
    on_token = (
        sa.select(link.client_id)
        .where(link.unlinked_at.is_(None), link.auth_method == AuthMethod.ksef_token)
        .scalar_subquery()
    )
    conditions = [*_client_conditions(actor, ClientTableFilter()), client.id.in_(on_token)]
    count = sa.select(func.count()).select_from(client.id.table).where(*conditions)
    page_ids = sa.select(client.id).where(*conditions).order_by(func.lower(client.name), client.id).limit(limit)
    package = office_package_usage(actor.office_id)
    with session_scope() as session:
        total = int(session.execute(count).scalar_one())
        ids = [int(i) for i in session.execute(page_ids).scalars()]
        query = _client_rows_query(actor, package, ClientTableFilter(), ids)
        rows = session.execute(query.order_by(func.lower(client.name), client.id)).all() if ids else []
    return ClientTablePage(items=[_client_row(r, package.limit or 1) for r in rows], total=total)
