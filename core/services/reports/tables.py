"""Report queries and their writers: CSV that Polish Excel opens (`;`, UTF-8 with BOM, decimal comma) and XLSX.

Queries stream rows (server-side cursors on PostgreSQL, `yield_per`), so a million-row export never sits in memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import IO, Any

import sqlalchemy as sa
from sqlmodel import col, func, select

from core.db import columns, session_scope
from core.formatting import WARSAW, format_date, format_datetime, warsaw_midnight
from core.models import Client, Credential, Invoice, Link, Package, Problem, UsageDaily, UsageEvent
from core.services.usage.periods import period_containing
from core.types import AuthMethod, ProblemStatus, UsageKind, utcnow

KIND_NAMES_PL: dict[str, str] = {
    UsageKind.invoice_received: "faktura odebrana",
    UsageKind.invoice_sent: "faktura wysłana",
}
METHOD_NAMES_PL: dict[str, str] = {
    AuthMethod.ksef_token: "token KSeF",
    AuthMethod.ksef_certificate: "certyfikat KSeF",
    AuthMethod.qualified_signature: "podpis kwalifikowany",
    AuthMethod.trusted_profile: "Profil Zaufany",
}
BOM = "\ufeff"


@dataclass(frozen=True)
class Report:
    name: str
    header: list[str]
    rows: Iterable[Sequence[Any]]


@dataclass(frozen=True)
class UsageFilters:
    first: date  # first Warsaw day
    last: date  # last Warsaw day, inclusive
    client_ids: list[int] | None = None
    kinds: list[str] | None = None


# --- queries ----------------------------------------------------------------------------------------------------------


def usage_by_month(office_id: int, filters: UsageFilters) -> Report:
    """Operations per client × package month × kind, from the daily rollup."""
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
        totals: dict[tuple[str, str, str, str], int] = {}
        for nip, name, day, kind, count in session.execute(query):
            key = (nip, name, period_containing(day, billing_day).label, kind)
            totals[key] = totals.get(key, 0) + int(count or 0)
    rows = [
        [nip, name, month, KIND_NAMES_PL.get(kind, kind), count]
        for (nip, name, month, kind), count in sorted(totals.items())
    ]
    return Report("uzycie", ["NIP", "Nazwa", "Miesiąc pakietu", "Rodzaj operacji", "Liczba operacji"], rows)


def usage_events(office_id: int, filters: UsageFilters) -> Report:
    """Every counted operation, one row each (the large export)."""
    return Report(
        "operacje",
        ["Data i godzina", "NIP", "Nazwa", "Rodzaj operacji", "Numer KSeF", "Numer faktury"],
        _usage_event_rows(office_id, filters),
    )


def _usage_event_rows(office_id: int, filters: UsageFilters) -> Iterator[list[Any]]:
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
            yield [at, nip, name, KIND_NAMES_PL.get(kind, kind), ksef or "", number or ""]


def links_and_credentials(office_id: int) -> Report:
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
        out = [
            [
                client.nip,
                client.name,
                client.environment,
                client.link_status,
                METHOD_NAMES_PL.get(link.auth_method, "") if link else "",
                credential.label if credential else "",
                credential.status if credential else "",
                credential.valid_to if credential and credential.valid_to else "",
                (credential.valid_to - now).days if credential and credential.valid_to else "",
                link.last_success_at if link and link.last_success_at else "",
                open_counts.get(client.id, 0),
            ]
            for client, link, credential in rows
        ]
    header = ["NIP", "Nazwa", "Środowisko", "Status połączenia", "Metoda", "Poświadczenie", "Status poświadczenia",
              "Ważne do", "Dni do wygaśnięcia", "Ostatnie udane połączenie", "Otwarte problemy"]  # fmt: skip
    return Report("polaczenia", header, out)


def certificate_calendar(office_id: int) -> Report:
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
        out = [
            [
                credential.valid_to or "",
                (credential.valid_to - now).days if credential.valid_to else "",
                client.nip if client else "",
                client.name if client else "biuro (wspólny certyfikat)",
                credential.label,
                credential.certificate_type or "",
                credential.serial_number,
                credential.status,
            ]
            for credential, client in rows
        ]
    return Report(
        "kalendarz_certyfikatow",
        ["Ważny do", "Dni do wygaśnięcia", "NIP", "Klient", "Certyfikat", "Typ", "Numer seryjny", "Status"],
        out,
    )


# --- writers ----------------------------------------------------------------------------------------------------


def excel_text(value: Any) -> str:
    """One cell as Polish Excel reads it: DD.MM.RRRR dates, decimal comma, nothing else touched."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, seconds=True)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, Decimal | float):
        return f"{value}".replace(".", ",")
    return str(value)


def write_csv(report: Report, out: IO[bytes]) -> int:
    """`;`-separated UTF-8 with BOM; returns the number of data rows."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=False)
    text.write(BOM)
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow(report.header)
    count = 0
    for row in report.rows:
        writer.writerow([excel_text(v) for v in row])
        count += 1
    text.flush()
    text.detach()
    return count


def write_xlsx(report: Report, out: IO[bytes] | str) -> int:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        out, {"constant_memory": True, "remove_timezone": True, "in_memory": not isinstance(out, str)}
    )
    sheet = workbook.add_worksheet(report.name[:31])
    bold = workbook.add_format({"bold": True})
    date_format = workbook.add_format({"num_format": "dd.mm.yyyy"})
    time_format = workbook.add_format({"num_format": "dd.mm.yyyy hh:mm:ss"})
    sheet.write_row(0, 0, report.header, bold)
    count = 0
    for count, row in enumerate(report.rows, start=1):
        for column, value in enumerate(row):
            if isinstance(value, datetime):
                sheet.write_datetime(count, column, value.astimezone(WARSAW).replace(tzinfo=None), time_format)
            elif isinstance(value, date):
                sheet.write_datetime(count, column, datetime(value.year, value.month, value.day), date_format)  # noqa: DTZ001 - Excel has no zones
            elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                sheet.write_number(count, column, float(value))
            else:
                sheet.write_string(count, column, str(value))
    sheet.freeze_panes(1, 0)
    workbook.close()
    return count
