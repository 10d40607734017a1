"""Sending many invoices of one client through batch sessions (PROTOCOL.md §6), resumable after a worker is killed.

Why a threshold of 30: an online session costs one `invoiceSend` request per invoice, limited per context to 10/s,
30/min and 180/h (PROTOCOL.md §12.1), so up to 30 invoices leave within the minute budget, while the 31st waits for
the minute window and 5,000 would need 28 hours at 180 an hour. A batch session costs the same few limited requests
whatever its size — open and close (`batchSession`, 10/20/60), status polls (`sessionMisc`) and one invoice-list page
per 1,000 invoices (`sessionInvoiceList`) — while parts and UPOs travel through storage, which is not rate limited.
So above 30 invoices a batch is never slower and quickly becomes the only way; up to 30, an online session gives
each invoice its status as soon as it is judged and needs no ZIP.

Resumption. The durable steps are the invoice rows: `queued` → (session opened) `sending` with the session's
reference and no invoice reference → final. Nothing is processed by KSeF before `close`, so after a kill a session
still at status 100 (opened, maybe partly uploaded, never closed) is simply left to expire and its invoices go back to
`queued` for a new package; a session past close (150, 200, 4xx) has its results collected, and only invoices still
`sending` are written, so no invoice is sent or counted twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from core.db import session_scope
from core.jobs.kinds import SendResult
from core.jobs.spec import Progress
from core.ksef import batch as ksef_batch
from core.models import Invoice, InvoiceDocument
from core.security import Actor
from core.services import sending_outcomes as outcomes
from core.services.linking.connection import KsefCall
from core.types import InvoiceStatus, utcnow

BATCH_THRESHOLD = 30  # more invoices than this go in a batch session; see the module docstring
MAX_PER_SESSION = 10_000  # PROTOCOL.md §12.2, lowered further by the context's `maxInvoices` when KSeF says so
WRITE_CHUNK = 500  # outcomes written per transaction
OPEN = 100  # a batch session opened and not yet closed


def file_name(invoice_id: int) -> str:
    """The invoice's file inside the package: KSeF reports results by it (`invoiceFileName`)."""
    return f"{invoice_id}.xml"


def _chunks(items: Sequence[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def in_open_batches(ids: Sequence[int]) -> dict[str, list[int]]:
    """Invoices of the job handed to a batch session that has not reported their result: session -> invoice ids."""
    found: dict[str, list[int]] = {}
    with session_scope() as session:
        for chunk in _chunks(ids, WRITE_CHUNK):
            rows = session.exec(
                select(Invoice.id, Invoice.session_reference).where(
                    col(Invoice.id).in_(chunk), Invoice.status == InvoiceStatus.sending, Invoice.invoice_reference == ""
                )
            ).all()
            for invoice_id, reference in rows:
                if invoice_id is not None and reference:
                    found.setdefault(reference, []).append(invoice_id)
    return found


def resume(actor: Actor, call: KsefCall, ids: Sequence[int], progress: Progress) -> dict[int, InvoiceStatus]:
    """Finish what a killed attempt left in batch sessions: collect processed ones, re-queue never-closed ones."""
    done: dict[int, InvoiceStatus] = {}
    for reference, invoice_ids in in_open_batches(ids).items():
        access = call.access_token()
        status = ksef_batch.session_status(call.gateway, access, reference)
        if (status.get("status") or {}).get("code") == OPEN:
            _requeue(reference, invoice_ids)
            continue
        done.update(_collect(actor, call, reference, invoice_ids, progress))
    return done


def send(actor: Actor, call: KsefCall, ids: Sequence[int], progress: Progress) -> dict[int, InvoiceStatus]:
    """Send queued invoices in as few batch sessions as the context's limit allows, each collected before the next."""
    access = call.access_token()
    limit = MAX_PER_SESSION
    batch_limits = call.gateway.context_limits(access).get("batchSession") or {}
    if batch_limits.get("maxInvoices"):
        limit = min(limit, int(batch_limits["maxInvoices"]))
    done: dict[int, InvoiceStatus] = {}
    for chunk in _chunks(ids, limit):
        reference = _submit(call, chunk)
        done.update(_collect(actor, call, reference, chunk, progress))
    return done


def _submit(call: KsefCall, ids: list[int]) -> str:
    files: dict[str, bytes] = {}
    with session_scope() as session:
        for chunk in _chunks(ids, WRITE_CHUNK):
            for document in session.exec(select(InvoiceDocument).where(col(InvoiceDocument.invoice_id).in_(chunk))):
                assert document.xml is not None
                files[file_name(document.invoice_id)] = document.xml
    archive = ksef_batch.package(files)
    opened = ksef_batch.open_batch_session(call.gateway, call.access_token(), archive)
    _mark(ids, opened.reference)  # from here a kill leaves them `sending` in this session
    ksef_batch.upload_parts(call.gateway, opened)
    ksef_batch.close_batch_session(call.gateway, call.access_token(), opened.reference)
    return opened.reference


def _mark(ids: list[int], reference: str) -> None:
    with session_scope(write=True) as session:
        for chunk in _chunks(ids, WRITE_CHUNK):
            session.execute(
                update(Invoice)
                .where(col(Invoice.id).in_(chunk), col(Invoice.status) == InvoiceStatus.queued)
                .values(status=InvoiceStatus.sending, session_reference=reference, updated_at=utcnow())
            )


def _requeue(reference: str, ids: list[int]) -> None:
    with session_scope(write=True) as session:
        session.execute(
            update(Invoice)
            .where(
                col(Invoice.id).in_(ids),
                col(Invoice.status) == InvoiceStatus.sending,
                col(Invoice.session_reference) == reference,
            )
            .values(status=InvoiceStatus.queued, session_reference="", updated_at=utcnow())
        )


def _collect(
    actor: Actor, call: KsefCall, reference: str, ids: list[int], progress: Progress
) -> dict[int, InvoiceStatus]:
    """Wait for the package to be processed, then write every invoice's outcome with its UPO, in chunks."""
    status = ksef_batch.wait_for_session(call.gateway, call.access_token(), reference)
    listed = {item.get("invoiceFileName"): item for item in ksef_batch.session_invoices(
        call.gateway, call.access_token(), reference
    )}  # fmt: skip
    session_status = status.get("status") or {}
    results: dict[int, dict[str, Any]] = {}
    for invoice_id in ids:
        item = listed.get(file_name(invoice_id))
        # No result for a file means the whole package failed (405, 415, 420, 430, 435, 440): say why, per invoice.
        results[invoice_id] = item or {"status": session_status}
    done: dict[int, InvoiceStatus] = {}
    for chunk in _chunks(ids, WRITE_CHUNK):
        accepted = [i for i in chunk if (results[i].get("status") or {}).get("code") == 200]
        urls = [results[i].get("upoDownloadUrl") or "" for i in accepted]
        upos = dict(zip(accepted, ksef_batch.download_upos(call.gateway, urls), strict=True))
        with session_scope(write=True) as session:
            still = set(
                session.exec(
                    select(Invoice.id).where(col(Invoice.id).in_(chunk), Invoice.status == InvoiceStatus.sending)
                ).all()
            )
            for invoice_id in chunk:
                if invoice_id in still:
                    done[invoice_id] = outcomes.apply(
                        session, actor, invoice_id, results[invoice_id], upos.get(invoice_id)
                    )
        progress(len(done), len(ids), result=SendResult(dict(done)))
    return done
