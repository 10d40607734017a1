"""What KSeF said about one sent invoice, written the same way for online and batch sessions: the status, the KSeF
number and dates, the UPO, one usage event for an accepted invoice, and the audit event — in the caller's transaction,
so a batch writes hundreds of outcomes per transaction and an online session one."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from core import audit
from core.ksef.gateway import parse_ksef_datetime
from core.models import Client, Invoice, InvoiceDocument
from core.security import Actor
from core.services.usage.events import count_operation
from core.types import InvoiceStatus, UsageKind, utcnow


def apply(session: Session, actor: Actor, invoice_id: int, status: dict[str, Any], upo: bytes | None) -> InvoiceStatus:
    """Record an invoice's final status (`SessionInvoiceStatusResponse`); `upo` is given for an accepted one."""
    details = status.get("status") or {}
    code = details.get("code")
    if code == 200:
        assert upo is not None
        accept(session, actor, invoice_id, status["ksefNumber"], status, upo)
        return InvoiceStatus.accepted
    if code == 440:
        duplicate(session, actor, invoice_id, (details.get("extensions") or {}).get("originalKsefNumber"))
        return InvoiceStatus.duplicate
    reject(session, actor, invoice_id, code, [details.get("description", ""), *(details.get("details") or [])])
    return InvoiceStatus.rejected


def accept(
    session: Session, actor: Actor, invoice_id: int, ksef_number: str, status: dict[str, Any], upo: bytes
) -> None:
    invoice = session.get(Invoice, invoice_id)
    document = session.get(InvoiceDocument, invoice_id)
    client = session.get(Client, invoice.client_id) if invoice else None
    assert invoice is not None and document is not None and client is not None
    invoice.status = InvoiceStatus.accepted
    invoice.ksef_number = ksef_number
    invoice.acquisition_date = parse_ksef_datetime(status.get("acquisitionDate"))
    invoice.invoicing_date = parse_ksef_datetime(status.get("invoicingDate"))
    invoice.permanent_storage_date = parse_ksef_datetime(status.get("permanentStorageDate"))
    invoice.updated_at = utcnow()
    if status.get("referenceNumber"):
        invoice.invoice_reference = status["referenceNumber"]
    document.upo_xml = upo
    session.add_all([invoice, document])
    count_operation(
        session, office_id=client.office_id, client_id=invoice.client_id, invoice_id=invoice_id,
        kind=UsageKind.invoice_sent,
    )  # fmt: skip
    audit.record(
        session, actor, "invoice.accepted", f"invoice:{invoice_id}", client_id=invoice.client_id,
        ksef_number=ksef_number,
    )  # fmt: skip


def duplicate(session: Session, actor: Actor, invoice_id: int, original: str | None) -> None:
    invoice = session.get(Invoice, invoice_id)
    assert invoice is not None
    taken = (
        original is not None
        and session.exec(
            select(Invoice.id).where(Invoice.client_id == invoice.client_id, Invoice.ksef_number == original)
        ).first()
    )
    invoice.status = InvoiceStatus.duplicate
    invoice.original_ksef_number = original
    invoice.ksef_number = None if taken else original
    invoice.updated_at = utcnow()
    session.add(invoice)
    audit.record(
        session, actor, "invoice.duplicate", f"invoice:{invoice_id}", client_id=invoice.client_id,
        original_ksef_number=original,
    )  # fmt: skip


def reject(session: Session, actor: Actor, invoice_id: int, code: int | None, details: list[str]) -> None:
    invoice = session.get(Invoice, invoice_id)
    assert invoice is not None
    invoice.status = InvoiceStatus.rejected
    invoice.error_code = code
    invoice.error_details = details
    invoice.updated_at = utcnow()
    session.add(invoice)
    audit.record(session, actor, "invoice.rejected", f"invoice:{invoice_id}", client_id=invoice.client_id, code=code)
