"""Writing received invoices: metadata, XML, the usage event and the high-water mark in one transaction.

Deduplicated by KSeF number per client. The HWM only moves forward and only together with the rows it covers, so a
sync that dies half-way resumes from the last stored page without a gap or a duplicate.

A page is written in bulk: three multi-row INSERTs (invoices with RETURNING their ids, documents, usage events)
instead of an ORM flush per invoice. The profile of a fleet sync (tests/bench/profile_sync.py) showed the per-invoice
flushes as about a quarter of a client's CPU, next to the limiter's transaction per request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.db import columns, dialect_insert, get_engine, rowcount, write_connection
from core.ksef.gateway import parse_ksef_datetime
from core.models import Invoice, InvoiceDocument, SyncState, UsageEvent
from core.models.base import new_row
from core.types import InvoiceStatus, SubjectType, UsageKind, utcnow

T = TypeVar("T")


def to_grosze(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int((Decimal(str(value)) * 100).quantize(Decimal(1)))
    except InvalidOperation:
        return None


def sync_state(session: Session, client_id: int, subject_type: SubjectType) -> SyncState:
    state = session.exec(
        select(SyncState).where(SyncState.client_id == client_id, SyncState.subject_type == subject_type)
    ).first()
    if state is None:
        state = SyncState(client_id=client_id, subject_type=subject_type)
        session.add(state)
        session.flush()
    return state


def known_numbers(client_id: int, numbers: list[str]) -> set[str]:
    if not numbers:
        return set()
    invoices = columns(Invoice)
    query = sa.select(invoices.ksef_number).where(invoices.client_id == client_id, invoices.ksef_number.in_(numbers))
    with get_engine().connect() as connection:
        return {n for n in connection.execute(query).scalars() if n}


def invoice_from_metadata(client_id: int, subject_type: SubjectType, meta: dict[str, Any]) -> dict[str, Any]:
    """A received invoice's new row (column values) from its KSeF metadata."""
    seller = meta.get("seller") or {}
    buyer = meta.get("buyer") or {}
    buyer_identifier = buyer.get("identifier") or {}
    issue = meta.get("issueDate")
    return new_row(
        Invoice,
        client_id=client_id,
        subject_type=subject_type,
        status=InvoiceStatus.received,
        ksef_number=meta["ksefNumber"],
        invoice_number=str(meta.get("invoiceNumber") or "")[:256],
        issue_date=date.fromisoformat(issue) if issue else None,
        invoicing_date=parse_ksef_datetime(meta.get("invoicingDate")),
        acquisition_date=parse_ksef_datetime(meta.get("acquisitionDate")),
        permanent_storage_date=parse_ksef_datetime(meta.get("permanentStorageDate")),
        seller_nip=str(seller.get("nip") or "")[:10],
        seller_name=str(seller.get("name") or "")[:512],
        buyer_identifier=str(buyer_identifier.get("value") or "")[:50],
        buyer_name=str(buyer.get("name") or "")[:512],
        net_amount=to_grosze(meta.get("netAmount")),
        vat_amount=to_grosze(meta.get("vatAmount")),
        gross_amount=to_grosze(meta.get("grossAmount")),
        currency=str(meta.get("currency") or "PLN")[:3],
        invoice_type=str(meta.get("invoiceType") or "")[:16],
        invoice_hash=str(meta.get("invoiceHash") or "")[:44],
    )


def retry_on_conflict(write: Callable[[], T], attempts: int = 3) -> T:
    """Run a writing transaction again when another sync of the same client committed the same rows first (a
    concurrent sync is not an error: the next attempt reads them as already known and skips them)."""
    for attempt in range(1, attempts + 1):
        try:
            return write()
        except IntegrityError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class ReceivedPage:
    """A page of received invoices (metadata and XML) and the HWM it reaches once stored."""

    subject_type: SubjectType
    items: list[tuple[dict[str, Any], bytes]]
    new_hwm: datetime | None


def store_received(
    *,
    office_id: int,
    client_id: int,
    subject_type: SubjectType,
    items: list[tuple[dict[str, Any], bytes]],
    new_hwm: datetime | None,
) -> int:
    """Insert the invoices not stored yet, one usage event each, and advance the HWM; returns how many were new.
    Storing an invoice that is already known (also one a concurrent sync stored a moment ago) is not an error."""
    page = ReceivedPage(subject_type, items, new_hwm)

    def write() -> int:
        with write_connection() as connection:
            return store_page(connection, office_id=office_id, client_id=client_id, page=page)

    return retry_on_conflict(write)


def store_page(connection: sa.Connection, *, office_id: int, client_id: int, page: ReceivedPage) -> int:
    """`store_received` in the caller's transaction (Core, not the ORM: this runs for every page of every client)."""
    fresh = list({meta["ksefNumber"]: (meta, xml) for meta, xml in page.items}.values())  # a number once per page
    table = Invoice.__table__  # type: ignore[attr-defined]
    # One statement decides what is new: a number this client already has (also one a concurrent sync has just
    # written) is skipped by the unique key, not read first.
    added = dict(
        connection.execute(
            dialect_insert(table)
            .on_conflict_do_nothing(index_elements=["client_id", "ksef_number"])
            .returning(table.c.ksef_number, table.c.id),
            [invoice_from_metadata(client_id, page.subject_type, meta) for meta, _ in fresh],
        ).all()
        if fresh
        else []
    )
    if added:
        connection.execute(
            sa.insert(InvoiceDocument.__table__),  # type: ignore[attr-defined]
            [{"invoice_id": added[m["ksefNumber"]], "xml": xml} for m, xml in fresh if m["ksefNumber"] in added],
        )
        connection.execute(
            sa.insert(UsageEvent.__table__),  # type: ignore[attr-defined]
            [
                new_row(
                    UsageEvent, office_id=office_id, client_id=client_id, invoice_id=i,
                    kind=UsageKind.invoice_received,
                )
                for i in added.values()
            ],
        )  # fmt: skip
    if page.new_hwm is not None:
        _advance_hwm(connection, client_id, page.subject_type, page.new_hwm)
    return len(added)


def _advance_hwm(connection: sa.Connection, client_id: int, subject_type: SubjectType, hwm: datetime) -> None:
    """Move the HWM forward, never back; the client's first stored page makes its row."""
    states = columns(SyncState)
    key = (states.client_id == client_id, states.subject_type == subject_type)
    moved = connection.execute(
        sa.update(SyncState.__table__)  # type: ignore[attr-defined]
        .where(*key, sa.or_(states.hwm.is_(None), states.hwm < hwm))
        .values(hwm=hwm)
    )
    if rowcount(moved) == 0 and connection.execute(sa.select(states.id).where(*key)).first() is None:
        row = new_row(SyncState, client_id=client_id, subject_type=subject_type, hwm=hwm)
        connection.execute(sa.insert(SyncState.__table__), row)  # type: ignore[attr-defined]


def record_sync_outcome(
    session: Session, *, client_id: int, subject_type: SubjectType, error: str, next_due_at: datetime | None
) -> None:
    now = utcnow()
    values: dict[str, Any] = {"last_run_at": now}
    states = columns(SyncState)
    if error:
        values.update(consecutive_failures=states.consecutive_failures + 1, last_error=error[:1000])
    else:
        values.update(consecutive_failures=0, last_error="", last_success_at=now)
    if next_due_at is not None:
        values["next_due_at"] = next_due_at
    key = (states.client_id == client_id, states.subject_type == subject_type)
    if rowcount(session.execute(sa.update(SyncState.__table__).where(*key).values(**values))) == 0:  # type: ignore[attr-defined]
        sync_state(session, client_id, subject_type)  # a subject never synced before: its row, then the outcome
        session.execute(sa.update(SyncState.__table__).where(*key).values(**values))  # type: ignore[attr-defined]
