"""Sending FA(3) invoices for a client: checked offline first, then an online session for a few invoices or batch
sessions above `sending_batch.BATCH_THRESHOLD` (PROTOCOL.md §5, §6); statuses polled, KSeF numbers and UPOs stored.
A duplicate (440) is resolved to the original KSeF number."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select

from core import audit
from core.db import session_scope
from core.errors import InvalidInput, NotFound
from core.invoice_xml import InvoiceFileError, check_invoice
from core.jobs.kinds import SEND_INVOICES, SendPayload, SendResult
from core.jobs.queue import start_job
from core.jobs.spec import Progress, no_progress
from core.ksef.errors import KsefFailure
from core.ksef.invoices import close_online_session, invoice_upo, open_online_session, send_invoice, wait_for_invoice
from core.ksef.transcript import Transcript
from core.models import Invoice, InvoiceDocument
from core.security import Actor, Permission
from core.services import problems, sending_batch, sending_outcomes
from core.services.linking.connection import KsefCall, load_facts, open_ksef
from core.services.linking.status import refresh_link_status
from core.services.scope import client_in_office, invoices_in_office
from core.texts import Text
from core.types import InvoiceStatus, ProblemClass, SubjectType, utcnow

OPERATION = "send"
MAX_FILES = 10_000  # one batch session's invoice limit (PROTOCOL.md §12.2): a month end goes in one package


@dataclass
class SendBatch:
    job_id: int | None
    invoice_ids: list[int] = field(default_factory=list)
    rejected: dict[str, list[str]] = field(default_factory=dict)  # file name -> problems


def queue_invoices(*, actor: Actor, client_id: int, files: list[tuple[str, bytes]]) -> SendBatch:
    """Check every file offline; store the good ones as queued and start the sending job."""
    actor.require(Permission.run_operations)
    if not files:
        raise InvalidInput(Text("sending.choose_files"))
    if len(files) > MAX_FILES:
        raise InvalidInput(Text("sending.too_many", limit=MAX_FILES))
    with session_scope() as session:
        client = client_in_office(session, actor, client_id)
        if client.archived_at is not None:
            raise NotFound(Text("client.not_found_active", id=client_id))
        nip = client.nip
    batch = SendBatch(job_id=None)
    accepted: list[tuple[str, bytes, Any]] = []
    numbers: set[str] = set()
    for name, data in files:
        try:
            clean, facts = check_invoice(data)
        except InvoiceFileError as error:
            batch.rejected[name] = error.problems
            continue
        except Exception:  # one unreadable file never aborts the batch: it is refused, the others go on
            logging.getLogger(__name__).exception("invoice file %s could not be checked", name[:100])
            batch.rejected[name] = [Text("invoice_file.not_fa3_readable")]
            continue
        if facts.seller_nip != nip:
            batch.rejected[name] = [Text("sending.other_seller", seller=facts.seller_nip, nip=nip)]
        elif facts.invoice_number in numbers:
            batch.rejected[name] = [Text("sending.repeated_number", number=facts.invoice_number)]
        else:
            numbers.add(facts.invoice_number)
            accepted.append((name, clean, facts))
    if not accepted:
        return batch
    with session_scope(write=True) as session:
        for name, clean, facts in accepted:
            invoice = Invoice(
                client_id=client_id,
                subject_type=SubjectType.Subject1,
                status=InvoiceStatus.queued,
                file_name=name[:255],
                invoice_number=facts.invoice_number,
                issue_date=facts.issue_date,
                seller_nip=facts.seller_nip,
                seller_name=facts.seller_name,
                buyer_identifier=facts.buyer_identifier,
                buyer_name=facts.buyer_name,
                gross_amount=facts.gross_amount,
                net_amount=facts.net_amount,
                vat_amount=facts.vat_amount,
                currency=facts.currency,
                invoice_type=facts.invoice_kind,
            )
            session.add(invoice)
            session.flush()
            assert invoice.id is not None
            session.add(InvoiceDocument(invoice_id=invoice.id, xml=clean))
            batch.invoice_ids.append(invoice.id)
        payload = SendPayload(client_id=client_id, invoice_ids=tuple(batch.invoice_ids))
        job = start_job(
            session,
            actor,
            SEND_INVOICES,
            payload,
            action="invoice.queue",
            target=f"client:{client_id}",
            subject=f"client:{client_id}",
            invoices=len(batch.invoice_ids),
        )
        batch.job_id = job.id
    return batch


def send_batch(
    *, actor: Actor, client_id: int, invoice_ids: Sequence[int], progress: Progress = no_progress
) -> SendResult:
    """The sending job's body; every invoice's outcome is written with its audit event. A failure is raised for the
    job's retry policy to judge; when the job gives up, `abandon_batch` ends the unsent invoices."""
    actor.require(Permission.run_operations)
    ids = list(invoice_ids)
    with session_scope() as session:
        client_in_office(session, actor, client_id)
        invoices_in_office(session, actor, ids)
    pending, in_flight = _pending(ids), _in_flight(ids)
    if not pending and not in_flight and not sending_batch.in_open_batches(ids):
        return _result(ids)
    facts = load_facts(client_id)
    transcript = Transcript()
    try:
        with open_ksef(facts, actor, transcript=transcript) as call:
            outcomes = sending_batch.resume(actor, call, ids, progress)
            # Sent online by an earlier attempt that failed before their outcome came: ask KSeF how they ended.
            outcomes |= _finish_in_flight(actor, call, in_flight)
            pending = _pending(ids)
            if len(pending) > sending_batch.BATCH_THRESHOLD:
                outcomes.update(sending_batch.send(actor, call, pending, progress))
            elif pending:
                outcomes.update(_send_all(actor, call, pending, progress))
    except KsefFailure as failure:
        with session_scope(write=True) as session:
            problems.record_failure(
                session, office_id=facts.office_id, client_id=client_id, operation=OPERATION, failure=failure,
                transcript=transcript.tail(),
            )  # fmt: skip
            refresh_link_status(session, client_id)
        raise
    _record_problems(facts.office_id, client_id, outcomes, transcript)
    return _result(ids)


def _result(ids: list[int]) -> SendResult:
    """Where every invoice of the batch stands now (a retried job reports the earlier attempts' outcomes too)."""
    with session_scope() as session:
        rows = session.exec(select(Invoice.id, Invoice.status).where(col(Invoice.id).in_(ids))).all()
    return SendResult({invoice_id: InvoiceStatus(status) for invoice_id, status in rows if invoice_id is not None})


def _pending(ids: list[int]) -> list[int]:
    """Invoices of the job still waiting; a retried job never sends an invoice twice."""
    with session_scope() as session:
        rows = session.exec(
            select(Invoice.id).where(col(Invoice.id).in_(ids), col(Invoice.status).in_([InvoiceStatus.queued]))
        ).all()
    return [i for i in rows if i is not None]


def _in_flight(ids: list[int]) -> list[tuple[int, str, str]]:
    """(id, session reference, invoice reference) of the job's invoices KSeF took but whose outcome is not stored."""
    with session_scope() as session:
        rows = session.exec(
            select(Invoice.id, Invoice.session_reference, Invoice.invoice_reference).where(
                col(Invoice.id).in_(ids), Invoice.status == InvoiceStatus.sending
            )
        ).all()
    return [(i, s, r) for i, s, r in rows if i is not None and s and r]


def _finish_in_flight(actor: Actor, call: KsefCall, rows: list[tuple[int, str, str]]) -> dict[int, InvoiceStatus]:
    outcomes: dict[int, InvoiceStatus] = {}
    if not rows:
        return outcomes
    access = call.access_token()
    for invoice_id, session_ref, reference in rows:
        status = wait_for_invoice(call.gateway, access, session_ref, reference)
        outcomes[invoice_id] = _apply(actor, call, access, session_ref, invoice_id, status)
    return outcomes


def _send_all(actor: Actor, call: KsefCall, ids: list[int], progress: Progress) -> dict[int, InvoiceStatus]:
    access = call.access_token()
    online = open_online_session(call.gateway, access)
    references: dict[int, str] = {}
    for invoice_id in ids:
        with session_scope() as session:
            document = session.get(InvoiceDocument, invoice_id)
            assert document is not None and document.xml is not None
            xml = document.xml
        references[invoice_id] = send_invoice(call.gateway, access, online, xml)
        _update(invoice_id, status=InvoiceStatus.sending, session_reference=online.reference,
                invoice_reference=references[invoice_id])  # fmt: skip
    outcomes: dict[int, InvoiceStatus] = {}
    for done, (invoice_id, reference) in enumerate(references.items(), start=1):
        status = wait_for_invoice(call.gateway, access, online.reference, reference)
        outcomes[invoice_id] = _apply(actor, call, access, online.reference, invoice_id, status)
        progress(done, len(references), result=SendResult(dict(outcomes)))
    close_online_session(call.gateway, access, online.reference)
    return outcomes


def _apply(
    actor: Actor, call: KsefCall, access: str, session_ref: str, invoice_id: int, status: dict[str, Any]
) -> InvoiceStatus:
    upo = None
    if status.get("status", {}).get("code") == 200:
        upo = invoice_upo(call.gateway, access, session_ref, status["ksefNumber"])
    with session_scope(write=True) as session:
        return sending_outcomes.apply(session, actor, invoice_id, status, upo)


def _update(invoice_id: int, **values: Any) -> None:
    with session_scope(write=True) as session:
        invoice = session.get(Invoice, invoice_id)
        assert invoice is not None
        for name, value in values.items():
            setattr(invoice, name, value)
        invoice.updated_at = utcnow()
        session.add(invoice)


def abandon_batch(*, actor: Actor, invoice_ids: Sequence[int], reason: str) -> None:
    """The sending job gave up: its unsent invoices end as failed with the reason (never left queued), each with
    its audit event."""
    actor.require(Permission.run_operations)
    with session_scope(write=True) as session:
        invoices_in_office(session, actor, invoice_ids)
        for invoice in session.exec(select(Invoice).where(col(Invoice.id).in_(list(invoice_ids)))).all():
            if invoice.status in (InvoiceStatus.queued, InvoiceStatus.sending):
                invoice.status = InvoiceStatus.failed
                invoice.error_details = [reason]
                session.add(invoice)
                audit.record(
                    session,
                    actor,
                    "invoice.failed",
                    f"invoice:{invoice.id}",
                    client_id=invoice.client_id,
                    error=reason[:500],
                )


def _record_problems(
    office_id: int, client_id: int, outcomes: dict[int, InvoiceStatus], transcript: Transcript
) -> None:
    with session_scope(write=True) as session:
        rejected = [i for i, o in outcomes.items() if o == InvoiceStatus.rejected]
        if rejected:
            failure = KsefFailure(ProblemClass.invalid_invoice, Text("sending.rejected", count=len(rejected)))
            problems.record_failure(
                session, office_id=office_id, client_id=client_id, operation=OPERATION, failure=failure,
                transcript=transcript.tail(),
            )  # fmt: skip
        else:
            problems.resolve(session, client_id=client_id, operations=[OPERATION])
        refresh_link_status(session, client_id)
