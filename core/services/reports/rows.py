"""The rows of each report, as typed dataclasses, read from the store.

The large ones stream (server-side cursors on PostgreSQL, `yield_per`), so a million-row export never sits in memory.
Coded values stay codes here (`UsageKind.invoice_sent`, `LinkStatus.linked`); the writers turn them into labels.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, func, select

from core.db import columns, session_scope
from core.formatting import warsaw_midnight
from core.models import Client, Credential, Invoice, Link, Package, Problem, UsageDaily, UsageEvent
from core.services.usage.periods import period_containing
from core.texts import Text
from core.types import (
    AuthMethod,
    CertificateType,
    CredentialStatus,
    KsefEnvironment,
    LinkStatus,
    ProblemStatus,
    UsageKind,
    utcnow,
)


@dataclass(frozen=True)
class UsageFilters:
    first: date  # first Warsaw day
    last: date  # last Warsaw day, inclusive
    client_ids: list[int] | None = None
    kinds: list[str] | None = None


@dataclass(frozen=True)
class UsageMonthRow:
    nip: str
    name: str
    month: str  # the package month, YYYY-MM
    kind: UsageKind
    count: int


@dataclass(frozen=True)
class UsageEventRow:
    at: datetime
    nip: str
    name: str
    kind: UsageKind
    ksef_number: str
    invoice_number: str


@dataclass(frozen=True)
class LinkRow:
    nip: str
    name: str
    environment: KsefEnvironment
    link_status: LinkStatus
    auth_method: AuthMethod | None
    credential: str
    credential_status: CredentialStatus | None
    valid_to: datetime | None
    days_left: int | None
    last_success_at: datetime | None
    open_problems: int


@dataclass(frozen=True)
class CertificateRow:
    valid_to: datetime | None
    days_left: int | None
    nip: str
    client: str  # the client's name, or the office's shared certificate
    label: str
    certificate_type: CertificateType | None
    serial_number: str
    status: CredentialStatus


def usage_by_month(office_id: int, filters: UsageFilters) -> list[UsageMonthRow]:
    """Operations per client × package month × kind, from the daily rollup, sorted by NIP, month and kind."""
    with session_scope() as session:
        billing_day = session.exec(select(Package.billing_day).where(Package.office_id == office_id)).first() or 1
        client, daily = columns(Client), columns(UsageDaily)
        query = (
            sa.select(client.nip, client.name, daily.day, daily.kind, func.sum(daily.count))
            .join(client.id.table, client.id == daily.client_id)
            .where(daily.office_id == office_id, daily.day >= filters.first, daily.day <= filters.last)
            .group_by(client.nip, client.name, daily.day, daily.kind)
        )
        if filters.client_ids:
            query = query.where(daily.client_id.in_(filters.client_ids))
        if filters.kinds:
            query = query.where(daily.kind.in_(filters.kinds))
        totals: dict[tuple[str, str, str, UsageKind], int] = {}
        for nip, name, day, kind, count in session.execute(query):
            key = (nip, name, period_containing(day, billing_day).label, UsageKind(kind))
            totals[key] = totals.get(key, 0) + int(count or 0)
    return [UsageMonthRow(nip, name, month, kind, count) for (nip, name, month, kind), count in sorted(totals.items())]


def usage_events(office_id: int, filters: UsageFilters) -> Iterator[UsageEventRow]:
    """Every counted operation, one row each (the large export), streamed."""
    event, client, invoice = columns(UsageEvent), columns(Client), columns(Invoice)
    query = (
        sa.select(event.occurred_at, client.nip, client.name, event.kind, invoice.ksef_number, invoice.invoice_number)
        .join(client.id.table, client.id == event.client_id)
        .join(invoice.id.table, invoice.id == event.invoice_id, isouter=True)
        .where(
            event.office_id == office_id,
            event.occurred_at >= warsaw_midnight(filters.first),
            event.occurred_at < warsaw_midnight(filters.last + timedelta(days=1)),
        )
        .order_by(event.occurred_at, event.id)
        .execution_options(yield_per=10_000)
    )
    if filters.client_ids:
        query = query.where(event.client_id.in_(filters.client_ids))
    if filters.kinds:
        query = query.where(event.kind.in_(filters.kinds))
    with session_scope() as session:
        for at, nip, name, kind, ksef, number in session.execute(query):
            yield UsageEventRow(at, nip, name, UsageKind(kind), ksef or "", number or "")


def links_and_credentials(office_id: int) -> list[LinkRow]:
    now = utcnow()
    with session_scope() as session:
        open_counts = dict(
            session.exec(
                select(Problem.client_id, func.count())
                .where(Problem.office_id == office_id, Problem.status == ProblemStatus.open)
                .group_by(col(Problem.client_id))
            ).all()
        )
        rows = session.exec(
            select(Client, Link, Credential)
            .join(Link, sa.and_(col(Link.client_id) == col(Client.id), col(Link.unlinked_at).is_(None)), isouter=True)
            .join(Credential, col(Credential.id) == col(Link.credential_id), isouter=True)
            .where(Client.office_id == office_id, col(Client.archived_at).is_(None))
            .order_by(func.lower(Client.name))
        ).all()
        return [
            LinkRow(
                nip=client.nip,
                name=client.name,
                environment=client.environment,
                link_status=client.link_status,
                auth_method=link.auth_method if link else None,
                credential=credential.label if credential else "",
                credential_status=credential.status if credential else None,
                valid_to=credential.valid_to if credential else None,
                days_left=(credential.valid_to - now).days if credential and credential.valid_to else None,
                last_success_at=link.last_success_at if link else None,
                open_problems=open_counts.get(client.id, 0),
            )
            for client, link, credential in rows
        ]


def certificate_calendar(office_id: int) -> list[CertificateRow]:
    now = utcnow()
    with session_scope() as session:
        rows = session.exec(
            select(Credential, Client)
            .join(Client, col(Client.id) == col(Credential.client_id), isouter=True)
            .where(
                Credential.office_id == office_id,
                Credential.kind == AuthMethod.ksef_certificate,
                col(Credential.revoked_at).is_(None),
            )
            .order_by(col(Credential.valid_to))
        ).all()
        return [
            CertificateRow(
                valid_to=credential.valid_to,
                days_left=(credential.valid_to - now).days if credential.valid_to else None,
                nip=client.nip if client else "",
                client=client.name if client else Text("report.office_certificate"),
                label=credential.label,
                certificate_type=credential.certificate_type,
                serial_number=credential.serial_number,
                status=credential.status,
            )
            for credential, client in rows
        ]
