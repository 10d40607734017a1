"""The intake API's service (DESIGN.md §3 K.26): a client program signs in with the client's company key and its own
password, gets a short-lived token, pushes FA(3) invoices that the console sends to KSeF in the client's context, reads
back their KSeF numbers and UPOs, and pulls the invoices received for the client.

Everything here is bound to the program's one company: an id of another client's document reads as NotFound.
A pushed invoice is accepted once: by its content hash per client, and by the program's idempotency key when given;
the invoice, its intake row, the sending job and the audit event commit together, so a push cut off half-way either
happened whole or not at all, and pushing it again returns the same document. Every push and pull is audited.
Failures a person must fix (bad XML, the wrong seller NIP, a locked-out program) land in the support inbox.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core import audit
from core.db import rowcount, session_scope
from core.errors import AuthenticationFailed, InvalidInput, NotFound
from core.ids import CompanyKeyError, parse_company_key
from core.invoice_xml import InvoiceFileError, check_invoice
from core.jobs.kinds import SEND_INVOICES, SendPayload
from core.jobs.queue import start_job
from core.ksef.errors import KsefFailure
from core.models import (
    Client,
    ClientProgram,
    CompanyKey,
    IntakeAck,
    IntakeDocument,
    IntakeToken,
    Invoice,
    InvoiceDocument,
    JobRun,
    Office,
)
from core.security import Actor, verify_password
from core.services import problems
from core.settings import get_settings
from core.texts import Text
from core.types import InvoiceStatus, JobStatus, ProblemClass, SubjectType, utcnow

TOKEN_LIFETIME = timedelta(minutes=15)
PAGE_LIMIT = 100
CONTACT_EVERY = timedelta(seconds=30)  # last contact is written at most this often
BATCH_WINDOW = timedelta(seconds=2)  # pushes within this window of the first go to KSeF together
BATCH_LIMIT = 500  # invoices in one sending job (as the office's own sending)


class ProgramLocked(AuthenticationFailed):
    """Too many wrong passwords: the program waits, or the office sets a new password."""


@dataclass(frozen=True)
class Program:
    """The signed-in program of one request."""

    id: int
    name: str
    client_id: int
    client_nip: str
    client_name: str
    office_id: int

    @property
    def actor(self) -> Actor:
        """Whom the audit log and the sending job name: the program, acting for its client in the office."""
        return Actor.system(f"program:{self.client_nip}/{self.name}"[:64], self.office_id)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class PushedDocument:
    id: int
    status: str  # queued | sending | accepted | duplicate | rejected | failed
    invoice_number: str
    ksef_number: str | None
    has_upo: bool
    errors: list[str]
    created_at: datetime


@dataclass(frozen=True)
class PushOutcome:
    document: PushedDocument
    created: bool  # False: the same invoice was pushed before; nothing new was queued


@dataclass(frozen=True)
class ReceivedInvoice:
    id: int  # the cursor position
    ksef_number: str | None
    subject_type: str  # Subject1 (the client's sales) | Subject2 (its purchases)
    invoice_number: str
    issue_date: str
    seller_nip: str
    seller_name: str
    buyer_identifier: str
    gross_amount: int | None  # grosze
    currency: str


@dataclass(frozen=True)
class ReceivedPage:
    items: list[ReceivedInvoice]
    next_cursor: int


# --- signing in ------------------------------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(*, company_key: str, program: str, password: str) -> IssuedToken:
    """The company key names the client, the program name its link, the password proves it. Repeated failures lock
    the program out for a while (the same counts as a user's login); the reason a person must act lands in the
    support inbox. The refusal never says which part was wrong."""
    settings = get_settings()
    with session_scope(write=True) as session:
        row = _program_by_key(session, company_key, program.strip())
        now = utcnow()
        if row is None:
            verify_password(None, password)  # same time as a wrong password
            refusal: Text | None = Text("intake.sign_in_failed")
        elif row.locked_until is not None and row.locked_until > now:
            refusal = Text("intake.locked", minutes=settings.lockout_minutes)
        elif not verify_password(row.password_hash, password):
            row.failed_logins += 1
            refusal = Text("intake.sign_in_failed")
            if row.failed_logins >= settings.login_max_failures:
                row.locked_until = now + timedelta(minutes=settings.lockout_minutes)
                row.failed_logins = 0
                refusal = Text("intake.locked", minutes=settings.lockout_minutes)
                message = Text("intake.problem.locked", program=row.name, minutes=settings.lockout_minutes)
                _problem(session, row, "intake_login", ProblemClass.client_program, message)
            row.last_error = refusal
            session.add(row)
        else:
            refusal = None
        if row is not None:
            audit.record(session, _program(session, row).actor, "intake.sign_in", f"client:{row.client_id}",
                         ok=refusal is None)  # fmt: skip
        if refusal is None:
            assert row is not None and row.id is not None
            token = secrets.token_urlsafe(32)
            expires = now + TOKEN_LIFETIME
            row.failed_logins = 0
            row.last_contact_at = now
            session.add(row)
            session.add(IntakeToken(program_id=row.id, token_hash=_hash(token), expires_at=expires))
            problems.resolve(session, client_id=row.client_id, operations=["intake_login"])
            return IssuedToken(token, expires)
    if refusal.key == "intake.locked":
        raise ProgramLocked(refusal)
    raise AuthenticationFailed(refusal)


def _program_by_key(session: Session, company_key: str, name: str) -> ClientProgram | None:
    try:
        key = parse_company_key(company_key)
    except CompanyKeyError:
        return None
    office = session.exec(select(Office).where(Office.account_id == key.account_id)).first()
    if office is None:
        return None
    issued = session.exec(
        select(CompanyKey).where(
            CompanyKey.office_id == office.id, CompanyKey.company_id == key.company_id.upper(),
            col(CompanyKey.revoked_at).is_(None),
        )
    ).first()  # fmt: skip
    client = session.get(Client, issued.client_id) if issued else None
    if client is None or client.nip != key.nip or client.archived_at is not None:
        return None
    return session.exec(
        select(ClientProgram).where(
            ClientProgram.client_id == client.id, ClientProgram.name == name, col(ClientProgram.removed_at).is_(None)
        )
    ).first()


def authorize(token: str) -> Program:
    """The program of a bearer token; an unknown, expired or revoked one is refused with what to do. A read; the
    last contact is written at most every CONTACT_EVERY, so requests do not queue behind the database's writer."""
    now = utcnow()
    with session_scope() as session:
        found = (
            session.exec(select(IntakeToken).where(IntakeToken.token_hash == _hash(token))).first() if token else None
        )
        row = session.get(ClientProgram, found.program_id) if found is not None else None
        if found is None or row is None or row.removed_at is not None:
            raise AuthenticationFailed(Text("intake.token_unknown"))
        expired = found.expires_at <= now
        stale = row.last_contact_at is None or now - row.last_contact_at > CONTACT_EVERY
        program = _program(session, row)
    if expired:
        with session_scope(write=True) as session:
            session.execute(sa.delete(IntakeToken).where(col(IntakeToken.token_hash) == _hash(token)))
        raise AuthenticationFailed(Text("intake.token_expired"))
    if stale:
        with session_scope(write=True) as session:
            session.execute(
                sa.update(ClientProgram).where(col(ClientProgram.id) == program.id).values(last_contact_at=now)
            )
    return program


def _program(session: Session, row: ClientProgram) -> Program:
    client = session.get(Client, row.client_id)
    assert client is not None and row.id is not None
    return Program(row.id, row.name, row.client_id, client.nip, client.name, row.office_id)


def _problem(session: Session, row: ClientProgram, operation: str, kind: ProblemClass, message: str) -> None:
    problems.record_failure(
        session, office_id=row.office_id, client_id=row.client_id, operation=operation,
        failure=KsefFailure(kind, message),
    )  # fmt: skip


# --- pushing ---------------------------------------------------------------------------------------------------------


def push(program: Program, data: bytes, *, file_name: str = "", idempotency_key: str = "") -> PushOutcome:
    """Check the invoice (size, safe XML, the FA(3) XSD, the seller's NIP) and queue it for sending, once."""
    key = idempotency_key.strip()[:128]
    try:
        clean, facts = check_invoice(data)
        if facts.seller_nip != program.client_nip:
            raise InvoiceFileError(Text("sending.other_seller", seller=facts.seller_nip, nip=program.client_nip))
    except InvoiceFileError as error:
        _push_refused(program, error.problems)
        raise InvalidInput(error.problems) from None
    digest = hashlib.sha256(clean).hexdigest()
    earlier = _earlier(program, digest, key)
    if earlier is not None:
        return PushOutcome(earlier, created=False)
    try:
        with session_scope(write=True) as session:
            invoice = Invoice(
                client_id=program.client_id, subject_type=SubjectType.Subject1, status=InvoiceStatus.queued,
                file_name=(file_name or f"{facts.invoice_number}.xml")[:255], invoice_number=facts.invoice_number,
                issue_date=facts.issue_date, seller_nip=facts.seller_nip, seller_name=facts.seller_name,
                buyer_identifier=facts.buyer_identifier, buyer_name=facts.buyer_name,
                gross_amount=facts.gross_amount, net_amount=facts.net_amount, vat_amount=facts.vat_amount,
                currency=facts.currency, invoice_type=facts.invoice_kind,
            )  # fmt: skip
            session.add(invoice)
            session.flush()
            assert invoice.id is not None
            session.add(InvoiceDocument(invoice_id=invoice.id, xml=clean))
            document = IntakeDocument(client_id=program.client_id, program_id=program.id, invoice_id=invoice.id,
                                      content_hash=digest, idempotency_key=key)  # fmt: skip
            session.add(document)
            session.flush()
            assert document.id is not None
            _queue_for_sending(session, program, invoice.id, document.id, facts.invoice_number)
            problems.resolve(session, client_id=program.client_id, operations=["intake_push"])
            return PushOutcome(_document(session, document), created=True)
    except IntegrityError:
        # The same invoice pushed twice at once: the other push won; answer with its document.
        earlier = _earlier(program, digest, key)
        if earlier is None:
            raise
        return PushOutcome(earlier, created=False)


def _queue_for_sending(session: Session, program: Program, invoice_id: int, document_id: int, number: str) -> None:
    """Invoices pushed in a burst share one sending job, so they go to KSeF in one session: a push joins the client's
    intake job still waiting out its short window, or starts one. Joining is one conditional UPDATE on a job that is
    still pending; when a worker has claimed it meanwhile, nothing matches and a new job starts."""
    subject = f"intake:client:{program.client_id}"
    table = JobRun.__table__  # type: ignore[attr-defined]
    waiting = session.exec(
        select(JobRun).where(
            JobRun.kind == SEND_INVOICES.kind, JobRun.subject == subject, JobRun.status == JobStatus.pending,
            col(JobRun.run_after) > utcnow(),
        ).order_by(col(JobRun.id).desc())
    ).first()  # fmt: skip
    if waiting is not None and len(waiting.payload.get("invoice_ids", [])) < BATCH_LIMIT:
        payload = {**waiting.payload, "invoice_ids": [*waiting.payload["invoice_ids"], invoice_id]}
        joined = session.execute(
            sa.update(table)
            .where(table.c.id == waiting.id, table.c.status == JobStatus.pending)
            .values(payload=payload)
        )
        if rowcount(joined):
            audit.record(session, program.actor, "intake.push", f"client:{program.client_id}", job_id=waiting.id,
                         document=document_id, invoice_number=number)  # fmt: skip
            return
    start_job(
        session, program.actor, SEND_INVOICES, SendPayload(client_id=program.client_id, invoice_ids=(invoice_id,)),
        action="intake.push", target=f"client:{program.client_id}", subject=subject,
        run_after=utcnow() + BATCH_WINDOW, document=document_id, invoice_number=number,
    )  # fmt: skip


def _earlier(program: Program, digest: str, key: str) -> PushedDocument | None:
    with session_scope() as session:
        query = select(IntakeDocument).where(IntakeDocument.client_id == program.client_id)
        found = session.exec(query.where(IntakeDocument.content_hash == digest)).first()
        if found is None and key:
            found = session.exec(
                query.where(IntakeDocument.program_id == program.id, IntakeDocument.idempotency_key == key)
            ).first()
        return _document(session, found) if found is not None else None


def _push_refused(program: Program, reasons: Sequence[str]) -> None:
    with session_scope(write=True) as session:
        row = session.get(ClientProgram, program.id)
        assert row is not None
        message = Text("intake.problem.refused", program=program.name, reason=reasons[0] if reasons else "")
        row.last_error = message[:1000]
        session.add(row)
        _problem(session, row, "intake_push", ProblemClass.client_program, message)
        audit.record(session, program.actor, "intake.push_refused", f"client:{program.client_id}",
                     reason=(reasons[0] if reasons else "")[:300])  # fmt: skip


def _document(session: Session, row: IntakeDocument) -> PushedDocument:
    invoice = session.get(Invoice, row.invoice_id)
    stored = session.get(InvoiceDocument, row.invoice_id)
    assert invoice is not None and row.id is not None
    errors = [str(e) for e in invoice.error_details if e]
    return PushedDocument(
        id=row.id, status=str(invoice.status), invoice_number=invoice.invoice_number, ksef_number=invoice.ksef_number,
        has_upo=bool(stored and stored.upo_xml), errors=errors, created_at=row.created_at,
    )  # fmt: skip


def _own_document(session: Session, program: Program, document_id: int) -> IntakeDocument:
    row = session.get(IntakeDocument, document_id)
    if row is None or row.client_id != program.client_id:
        raise NotFound(Text("intake.document_not_found", id=document_id))
    return row


def document(program: Program, document_id: int) -> PushedDocument:
    with session_scope() as session:
        return _document(session, _own_document(session, program, document_id))


def documents(program: Program, *, after: int = 0, limit: int = PAGE_LIMIT) -> list[PushedDocument]:
    """The client's pushed documents (of any of its programs), oldest first, after the id `after`."""
    with session_scope() as session:
        rows = session.exec(
            select(IntakeDocument)
            .where(IntakeDocument.client_id == program.client_id, col(IntakeDocument.id) > after)
            .order_by(col(IntakeDocument.id))
            .limit(max(1, min(limit, PAGE_LIMIT)))
        ).all()
        return [_document(session, row) for row in rows]


def upo(program: Program, document_id: int) -> bytes:
    with session_scope(write=True) as session:
        row = _own_document(session, program, document_id)
        stored = session.get(InvoiceDocument, row.invoice_id)
        if stored is None or not stored.upo_xml:
            raise NotFound(Text("intake.upo_not_yet", id=document_id))
        audit.record(session, program.actor, "intake.upo", f"client:{program.client_id}", document=document_id)
        return stored.upo_xml


# --- pulling ---------------------------------------------------------------------------------------------------------


def received(program: Program, *, cursor: int = 0, limit: int = PAGE_LIMIT) -> ReceivedPage:
    """Invoices received for the client that this program has not acknowledged, after `cursor`, oldest first.
    Gap-free: what is not acknowledged comes again on the next pull from 0, whatever order the rows committed in."""
    limit = max(1, min(limit, PAGE_LIMIT))
    with session_scope(write=True) as session:
        acked = select(IntakeAck.invoice_id).where(IntakeAck.program_id == program.id)
        rows = session.exec(
            select(Invoice)
            .where(
                Invoice.client_id == program.client_id,
                Invoice.status == InvoiceStatus.received,
                col(Invoice.id) > max(cursor, 0),
                col(Invoice.id).not_in(acked),
            )
            .order_by(col(Invoice.id))
            .limit(limit)
        ).all()
        items = [_received(row) for row in rows]
        audit.record(session, program.actor, "intake.pull", f"client:{program.client_id}", cursor=cursor,
                     count=len(items))  # fmt: skip
    return ReceivedPage(items, items[-1].id if items else max(cursor, 0))


def _received(row: Invoice) -> ReceivedInvoice:
    assert row.id is not None
    return ReceivedInvoice(
        id=row.id, ksef_number=row.ksef_number, subject_type=str(row.subject_type), invoice_number=row.invoice_number,
        issue_date=row.issue_date.isoformat() if row.issue_date else "", seller_nip=row.seller_nip,
        seller_name=row.seller_name, buyer_identifier=row.buyer_identifier, gross_amount=row.gross_amount,
        currency=row.currency,
    )  # fmt: skip


def received_xml(program: Program, invoice_id: int) -> bytes:
    with session_scope(write=True) as session:
        row = session.get(Invoice, invoice_id)
        stored = session.get(InvoiceDocument, invoice_id) if row else None
        if row is None or row.client_id != program.client_id or row.status != InvoiceStatus.received:
            raise NotFound(Text("intake.invoice_not_found", id=invoice_id))
        if stored is None or not stored.xml:
            raise NotFound(Text("intake.invoice_no_xml", id=invoice_id))
        audit.record(session, program.actor, "intake.pull_document", f"client:{program.client_id}",
                     invoice=invoice_id)  # fmt: skip
        return stored.xml


def acknowledge(program: Program, invoice_ids: Sequence[int]) -> int:
    """Mark pulled invoices as taken; only the client's own received invoices count, each once."""
    ids = sorted({int(i) for i in invoice_ids})[:1000]
    with session_scope(write=True) as session:
        own = set(
            session.exec(
                select(Invoice.id).where(
                    col(Invoice.id).in_(ids), Invoice.client_id == program.client_id,
                    Invoice.status == InvoiceStatus.received,
                )
            ).all()
        )  # fmt: skip
        unknown = [i for i in ids if i not in own]
        if unknown:
            raise NotFound(Text("intake.invoice_not_found", id=unknown[0]))
        done = set(
            session.exec(
                select(IntakeAck.invoice_id).where(
                    IntakeAck.program_id == program.id, col(IntakeAck.invoice_id).in_(ids)
                )
            ).all()
        )
        fresh = [i for i in ids if i not in done]
        for invoice_id in fresh:
            session.add(IntakeAck(program_id=program.id, invoice_id=invoice_id))
        audit.record(session, program.actor, "intake.ack", f"client:{program.client_id}", count=len(fresh))
        return len(fresh)


def summary(program: Program) -> dict[str, Any]:
    """What "test connection" shows: whose link this is."""
    return {"client_nip": program.client_nip, "client_name": program.client_name, "program": program.name}
