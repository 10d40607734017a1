""" "Moja firma": what a client user sees and does (DESIGN.md §3 K.25) — its own company only.

Every call starts from the user's binding (`binding.bound_client`): the company is never taken from the caller, and
an invoice id of another company reads as not found. Documents are shown only when the office allows it; sending
only when the office allows it, through the office's sending service (and authenticating its own KSeF link, through
the office's signature flow), so every operation counts in the office's
package, attributed to this client, and the audit log names the client user.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, func, select

from core import audit
from core.db import session_scope
from core.errors import NotFound
from core.models import ClientProgram, Invoice, LinkOutcome
from core.security import Actor
from core.services import invoices, sending
from core.services.clientside import access
from core.services.clientside.binding import bound_client
from core.services.invoices import InvoicePage
from core.services.linking import signatures
from core.texts import Text
from core.types import InvoiceStatus, LinkStatus, SubjectType


@dataclass(frozen=True)
class ProgramLink:
    name: str
    last_contact_at: datetime | None


@dataclass(frozen=True)
class MyCompany:
    client_id: int
    name: str
    nip: str
    environment: str
    link_status: LinkStatus
    received: int
    sent: int
    access: access.AccessView
    programs: list[ProgramLink]


def _office_reader(actor: Actor) -> Actor:
    """The office's services read for the client user under its own name; the company is always fixed by the caller
    here from the binding, never from the request."""
    return Actor.system(f"client:{actor.username}"[:64], actor.office_id)


def overview(*, actor: Actor) -> MyCompany:
    with session_scope() as session:
        client = bound_client(session, actor)
        assert client.id is not None
        counts = dict(
            session.exec(
                select(Invoice.subject_type, func.count())
                .where(Invoice.client_id == client.id, Invoice.status != InvoiceStatus.failed)
                .group_by(Invoice.subject_type)
            ).all()
        )
        programs = session.exec(
            select(ClientProgram).where(ClientProgram.client_id == client.id, col(ClientProgram.removed_at).is_(None))
        ).all()
        return MyCompany(
            client.id, client.name, client.nip, str(client.environment), client.link_status,
            received=int(counts.get(SubjectType.Subject2, 0)), sent=int(counts.get(SubjectType.Subject1, 0)),
            access=access.read(session, client.id),
            programs=[ProgramLink(p.name, p.last_contact_at) for p in programs],
        )  # fmt: skip


def documents(*, actor: Actor, subject_type: str | None = None, limit: int = 100, offset: int = 0) -> InvoicePage:
    """The company's invoices (received and sent, with KSeF numbers), when the office allows viewing them."""
    with session_scope() as session:
        client = bound_client(session, actor)
        access.require_allowed(session, client.id or 0, "view_documents")
    return invoices.list_invoices(
        actor=_office_reader(actor), client_id=client.id, subject_type=subject_type, limit=limit, offset=offset
    )


def _own_invoice(actor: Actor, invoice_id: int) -> None:
    with session_scope() as session:
        client = bound_client(session, actor)
        access.require_allowed(session, client.id or 0, "view_documents")
        invoice = session.get(Invoice, invoice_id)
        if invoice is None or invoice.client_id != client.id:
            raise NotFound(Text("invoice.not_found", id=invoice_id))


def upo(*, actor: Actor, invoice_id: int) -> tuple[str, bytes]:
    _own_invoice(actor, invoice_id)
    return invoices.invoice_upo(actor=_office_reader(actor), invoice_id=invoice_id)


def invoice_xml(*, actor: Actor, invoice_id: int) -> tuple[str, bytes]:
    _own_invoice(actor, invoice_id)
    return invoices.invoice_xml(actor=_office_reader(actor), invoice_id=invoice_id)


def send(*, actor: Actor, files: list[tuple[str, bytes]]) -> sending.SendBatch:
    """Send FA(3) files when the office allows it: the office's checks, its sending job, its package."""
    with session_scope(write=True) as session:
        client = bound_client(session, actor)
        access.require_allowed(session, client.id or 0, "send_invoices")
        audit.record(session, actor, "client.send_request", f"client:{client.id}", files=len(files))
        client_id = client.id or 0
    return sending.queue_invoices(actor=_office_reader(actor), client_id=client_id, files=files)


def _allowed_to_authenticate(actor: Actor) -> tuple[int, str]:
    with session_scope() as session:
        client = bound_client(session, actor)
        access.require_allowed(session, client.id or 0, "authenticate_link")
        return client.id or 0, str(client.environment)


def start_signature(*, actor: Actor, method: str) -> signatures.SignatureRequest:
    """The company authenticates its own KSeF link (qualified signature / seal or Trusted Profile), when the office
    allows it: the same request, signed outside, as on the office's Klient page. The link changes only on success."""
    client_id, _ = _allowed_to_authenticate(actor)
    return signatures.start_signature(actor=_office_reader(actor), client_id=client_id, method=method)


def complete_signature(*, actor: Actor, method: str, signed_xml: bytes) -> LinkOutcome:
    client_id, _ = _allowed_to_authenticate(actor)
    return signatures.complete_signature(
        actor=_office_reader(actor), client_id=client_id, method=method, signed_xml=signed_xml
    )


def sign_in_simulator(*, actor: Actor, xml: str) -> bytes:
    """Rehearsal on the simulator only: sign the request with a throw-away test seal of the company."""
    client_id, _ = _allowed_to_authenticate(actor)
    return signatures.sign_in_simulator(actor=_office_reader(actor), client_id=client_id, xml=xml)
