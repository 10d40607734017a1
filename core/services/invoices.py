"""What the Faktury page and the CLI read: the local invoice copy (never KSeF), and the buttons that start syncs."""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select
from sqlmodel.sql.expression import Select

from core import audit
from core.db import session_scope
from core.errors import InvalidInput, NotFound
from core.formatting import format_int, warsaw_today
from core.models import Client, Invoice, InvoiceDocument
from core.security import Actor, Permission
from core.services.reports.writers import Sheet, write_csv, write_xlsx
from core.services.scope import invoice_in_office, invoices_in_office, require_client
from core.texts import Text, render
from core.types import InvoiceStatus


@dataclass(frozen=True)
class InvoiceRow:
    id: int
    client_id: int
    client_name: str
    client_nip: str
    subject_type: str
    status: str
    ksef_number: str | None
    original_ksef_number: str | None
    invoice_number: str
    issue_date: date | None
    acquisition_date: datetime | None
    seller_nip: str
    seller_name: str
    buyer_identifier: str
    buyer_name: str
    gross_amount: int | None
    currency: str
    has_upo: bool
    file_name: str
    error_code: int | None
    error_details: list[str]
    original_id: int | None = None  # a duplicate (440): the register row of the invoice KSeF took first


@dataclass(frozen=True)
class InvoicePage:
    items: list[InvoiceRow]
    total: int


def list_invoices(
    *,
    actor: Actor,
    client_id: int | None = None,
    subject_type: str | None = None,
    statuses: list[str] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    search: str = "",
    limit: int = 100,
    offset: int = 0,
) -> InvoicePage:
    actor.require(Permission.view)
    require_client(actor, client_id)
    query = _filtered(actor.office_id, client_id, subject_type, statuses, date_from, date_to, search)
    with session_scope() as session:
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        rows = session.exec(_newest_first(query).offset(offset).limit(limit)).all()
        items = _pointing_at_originals(session, [_row(i, name, nip, bool(upo)) for i, name, nip, upo in rows])
    return InvoicePage(items, total)


def _pointing_at_originals(session: Session, rows: list[InvoiceRow]) -> list[InvoiceRow]:
    """A duplicate points at the original's register row and offers its UPO (never a second, dead UPO button)."""
    wanted = {
        (r.client_id, r.original_ksef_number)
        for r in rows
        if r.status == InvoiceStatus.duplicate and r.original_ksef_number
    }
    if not wanted:
        return rows
    found = session.exec(
        select(Invoice.id, Invoice.client_id, Invoice.ksef_number, InvoiceDocument.upo_xml.is_not(None))  # type: ignore[union-attr]
        .join(InvoiceDocument, col(InvoiceDocument.invoice_id) == col(Invoice.id), isouter=True)
        .where(col(Invoice.ksef_number).in_([number for _, number in wanted]))
    ).all()
    originals = {
        (client_id, number): (i, bool(upo)) for i, client_id, number, upo in found if (client_id, number) in wanted
    }
    return [
        replace(r, original_id=originals[key][0], has_upo=originals[key][1])
        if (key := (r.client_id, r.original_ksef_number)) in originals and r.status == InvoiceStatus.duplicate
        else r
        for r in rows
    ]


def _filtered(
    office_id: int,
    client_id: int | None,
    subject_type: str | None,
    statuses: list[str] | None,
    date_from: date | None,
    date_to: date | None,
    search: str,
) -> Select[Invoice, str, str, Any]:
    """The office's invoices narrowed as the Faktury filters say: the list and its export read the same rows."""
    query = (
        select(Invoice, Client.name, Client.nip, InvoiceDocument.upo_xml.is_not(None))  # type: ignore[union-attr]
        .join(Client, col(Client.id) == col(Invoice.client_id))
        .join(InvoiceDocument, col(InvoiceDocument.invoice_id) == col(Invoice.id), isouter=True)
        .where(Client.office_id == office_id)
    )
    if client_id is not None:
        query = query.where(Invoice.client_id == client_id)
    if subject_type:
        query = query.where(Invoice.subject_type == subject_type)
    if statuses:
        query = query.where(col(Invoice.status).in_(statuses))
    if date_from:
        query = query.where(col(Invoice.issue_date) >= date_from)
    if date_to:
        query = query.where(col(Invoice.issue_date) <= date_to)
    if search.strip():
        pattern = f"%{search.strip().lower()}%"
        query = query.where(
            sa.or_(
                func.lower(Invoice.invoice_number).like(pattern),
                func.lower(col(Invoice.ksef_number)).like(pattern),
                func.lower(Invoice.seller_name).like(pattern),
                func.lower(Invoice.buyer_name).like(pattern),
            )
        )
    return query


def _newest_first(query: Select[Invoice, str, str, Any]) -> Select[Invoice, str, str, Any]:
    return query.order_by(col(Invoice.issue_date).desc(), col(Invoice.id).desc())


def invoices_by_id(*, actor: Actor, invoice_ids: list[int]) -> list[InvoiceRow]:
    """The given invoices of the actor's office, in the order asked (a sending batch's results); others are left out."""
    actor.require(Permission.view)
    if not invoice_ids:
        return []
    with session_scope() as session:
        invoices_in_office(session, actor, invoice_ids)
    query = (
        select(Invoice, Client.name, Client.nip, InvoiceDocument.upo_xml.is_not(None))  # type: ignore[union-attr]
        .join(Client, col(Client.id) == col(Invoice.client_id))
        .join(InvoiceDocument, col(InvoiceDocument.invoice_id) == col(Invoice.id), isouter=True)
        .where(Client.office_id == actor.office_id, col(Invoice.id).in_(invoice_ids))
    )
    with session_scope() as session:
        rows = _pointing_at_originals(
            session, [_row(i, name, nip, bool(upo)) for i, name, nip, upo in session.exec(query)]
        )
    found = {row.id: row for row in rows}
    return [found[i] for i in invoice_ids if i in found]


def _row(invoice: Invoice, name: str, nip: str, has_upo: bool) -> InvoiceRow:
    assert invoice.id is not None
    return InvoiceRow(
        invoice.id, invoice.client_id, name, nip, invoice.subject_type, invoice.status, invoice.ksef_number,
        invoice.original_ksef_number, invoice.invoice_number, invoice.issue_date, invoice.acquisition_date,
        invoice.seller_nip, invoice.seller_name, invoice.buyer_identifier, invoice.buyer_name, invoice.gross_amount,
        invoice.currency, has_upo, invoice.file_name, invoice.error_code, list(invoice.error_details or []),
    )  # fmt: skip


def _document(actor: Actor, invoice_id: int) -> tuple[Invoice, InvoiceDocument | None]:
    with session_scope() as session:
        invoice, _ = invoice_in_office(session, actor, invoice_id)
        return invoice, session.get(InvoiceDocument, invoice_id)


def invoice_xml(*, actor: Actor, invoice_id: int) -> tuple[str, bytes]:
    """(file name, XML) of the stored invoice."""
    actor.require(Permission.view)
    invoice, document = _document(actor, invoice_id)
    if document is None or document.xml is None:
        raise NotFound(Text("invoice.no_content"))
    return f"{invoice.ksef_number or invoice.invoice_number or invoice_id}.xml".replace("/", "_"), document.xml


def invoice_upo(*, actor: Actor, invoice_id: int) -> tuple[str, bytes]:
    """(file name, UPO) of a sent invoice; for a duplicate, the UPO of the original KSeF took first."""
    actor.require(Permission.view)
    invoice, document = _document(actor, invoice_id)
    if invoice.status == InvoiceStatus.duplicate and invoice.original_ksef_number:
        with session_scope() as session:
            original = session.exec(
                select(Invoice.id).where(
                    Invoice.client_id == invoice.client_id, Invoice.ksef_number == invoice.original_ksef_number
                )
            ).first()
        if original is not None and original != invoice_id:
            invoice, document = _document(actor, original)
    if document is None or document.upo_xml is None:
        raise NotFound(Text("invoice.no_upo"))
    return f"UPO-{invoice.ksef_number}.xml", document.upo_xml


def find_by_ksef_number(*, actor: Actor, ksef_number: str) -> int:
    actor.require(Permission.view)
    with session_scope() as session:
        found = session.exec(
            select(Invoice.id)
            .join(Client, col(Client.id) == col(Invoice.client_id))
            .where(Client.office_id == actor.office_id, Invoice.ksef_number == ksef_number.strip())
        ).first()
    if found is None:
        raise NotFound(Text("invoice.not_found_local", ksef_number=ksef_number))
    return found


# --- the list as a spreadsheet ----------------------------------------------------------------------------------------

EXPORT_FORMATS = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
EXPORT_MAX_ROWS = 50_000  # built in memory for a download button; more is a filter to narrow, not a file to wait for
EXPORT_COLUMNS = (
    "client", "client_nip", "direction", "number", "issue_date", "seller", "seller_nip", "buyer", "buyer_identifier",
    "net", "vat", "gross", "currency", "status", "ksef_number", "upo", "status_code",
)  # fmt: skip


def count_invoices(
    *,
    actor: Actor,
    client_id: int | None = None,
    subject_type: str | None = None,
    statuses: list[str] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    search: str = "",
) -> int:
    actor.require(Permission.view)
    require_client(actor, client_id)
    query = _filtered(actor.office_id, client_id, subject_type, statuses, date_from, date_to, search)
    with session_scope() as session:
        return int(session.exec(select(func.count()).select_from(query.subquery())).one())


def export_invoices(
    *,
    actor: Actor,
    fmt: str,
    lang: str = "pl",
    client_id: int | None = None,
    subject_type: str | None = None,
    statuses: list[str] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    search: str = "",
) -> tuple[str, str, bytes]:
    """(file name, MIME type, bytes) of the filtered invoice list, for people: labels in `lang`, amounts as numbers,
    dates as dates; the status code in its own last column for machines."""
    actor.require(Permission.export_reports)
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput(Text("invoice_export.format"))
    require_client(actor, client_id)
    query = _filtered(actor.office_id, client_id, subject_type, statuses, date_from, date_to, search)
    name = export_file_name(fmt)
    buffer = io.BytesIO()
    with session_scope() as session:
        total = int(session.exec(select(func.count()).select_from(query.subquery())).one())
        if total > EXPORT_MAX_ROWS:
            raise InvalidInput(
                Text("invoice_export.too_many", count=format_int(total), limit=format_int(EXPORT_MAX_ROWS))
            )
        rows = session.exec(_newest_first(query).execution_options(yield_per=1000))
        report = Sheet(
            render("invoice_export.sheet", lang),
            [render(f"invoice_export.col.{column}", lang) for column in EXPORT_COLUMNS],
            (
                _export_row(invoice, client_name, client_nip, bool(upo), lang)
                for invoice, client_name, client_nip, upo in rows
            ),
        )
        written = write_csv(report, buffer) if fmt == "csv" else write_xlsx(report, buffer)
    with session_scope(write=True) as session:
        audit.record(session, actor, "invoices.export", name, format=fmt, rows=written)
    return name, EXPORT_FORMATS[fmt], buffer.getvalue()


def export_file_name(fmt: str) -> str:
    return f"faktury_{warsaw_today():%Y%m%d}.{fmt}"


def _amount(grosze: int | None) -> Decimal | str:
    return "" if grosze is None else Decimal(grosze).scaleb(-2)  # 99.00, not 99


def _export_row(invoice: Invoice, client_name: str, client_nip: str, has_upo: bool, lang: str) -> list[Any]:
    return [
        client_name, client_nip, render(f"faktury.direction.{invoice.subject_type}", lang), invoice.invoice_number,
        invoice.issue_date or "", invoice.seller_name, invoice.seller_nip, invoice.buyer_name, invoice.buyer_identifier,
        _amount(invoice.net_amount), _amount(invoice.vat_amount), _amount(invoice.gross_amount), invoice.currency,
        render(f"faktury.status.{invoice.status}", lang), invoice.ksef_number or invoice.original_ksef_number or "",
        render("invoice_export.upo.yes" if has_upo else "invoice_export.upo.no", lang), str(invoice.status),
    ]  # fmt: skip
