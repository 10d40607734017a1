"""Office isolation (DESIGN.md §7, §9): every id a person hands to a service is looked up within that person's office.

One helper per kind of row, used by every service: a row of another office reads exactly like a row that does not
exist (NotFound with the same sentence), so a foreign id reveals nothing, not even that it exists.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from core.errors import NotFound
from core.models import Client, Credential, Invoice, JobRun, Problem
from core.security import Actor
from core.texts import Text

# Ids are 32-bit integer columns on PostgreSQL; anything else names no row (and must not reach the driver, which
# would refuse it with an overflow rather than a NotFound).
ID_MAX = 2**31 - 1


def is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= ID_MAX


def client_in_office(session: Session, actor: Actor, client_id: int) -> Client:
    """The client `client_id` of the actor's office (archived ones included: callers refuse those themselves)."""
    client = session.get(Client, client_id) if is_id(client_id) else None
    if client is None or client.office_id != actor.office_id:
        raise NotFound(Text("client.not_found", id=client_id))
    return client


def clients_in_office(session: Session, actor: Actor, client_ids: Iterable[int]) -> list[int]:
    """All of `client_ids` belong to the actor's office, or NotFound naming the first that does not (nothing is
    started for the others: a bulk operation is checked whole before it is queued)."""
    wanted = list(dict.fromkeys(client_ids))
    found: set[int] = set()
    if wanted and all(is_id(client_id) for client_id in wanted):
        rows = session.exec(
            select(Client.id).where(col(Client.id).in_(wanted), Client.office_id == actor.office_id)
        ).all()
        found = {row for row in rows if row is not None}
    for client_id in wanted:
        if client_id not in found:
            raise NotFound(Text("client.not_found", id=client_id))
    return wanted


def invoice_in_office(session: Session, actor: Actor, invoice_id: int) -> tuple[Invoice, Client]:
    invoice = session.get(Invoice, invoice_id) if is_id(invoice_id) else None
    client = session.get(Client, invoice.client_id) if invoice is not None else None
    if invoice is None or client is None or client.office_id != actor.office_id:
        raise NotFound(Text("invoice.not_found", id=invoice_id))
    return invoice, client


def invoices_in_office(session: Session, actor: Actor, invoice_ids: Iterable[int]) -> list[int]:
    wanted = list(dict.fromkeys(invoice_ids))
    found: set[int] = set()
    if wanted and all(is_id(invoice_id) for invoice_id in wanted):
        rows = session.exec(
            select(Invoice.id)
            .join(Client, col(Client.id) == col(Invoice.client_id))
            .where(col(Invoice.id).in_(wanted), Client.office_id == actor.office_id)
        ).all()
        found = {row for row in rows if row is not None}
    for invoice_id in wanted:
        if invoice_id not in found:
            raise NotFound(Text("invoice.not_found", id=invoice_id))
    return wanted


def problem_in_office(session: Session, actor: Actor, problem_id: int) -> Problem:
    problem = session.get(Problem, problem_id) if is_id(problem_id) else None
    if problem is None or problem.office_id != actor.office_id:
        raise NotFound(Text("problem.not_found", id=problem_id))
    return problem


def credential_in_office(session: Session, actor: Actor, credential_id: int) -> Credential:
    credential = session.get(Credential, credential_id) if is_id(credential_id) else None
    if credential is None or credential.office_id != actor.office_id:
        raise NotFound(Text("credential.not_found", id=credential_id))
    return credential


def job_in_office(session: Session, actor: Actor, job_id: int) -> JobRun:
    job = session.get(JobRun, job_id) if is_id(job_id) else None
    if job is None or job.office_id != actor.office_id:
        raise NotFound(Text("job.not_found", id=job_id))
    return job


def require_client(actor: Actor, client_id: int | None) -> None:
    """A filter's optional client id (lists, counts, exports): a foreign one is NotFound, not an empty answer."""
    if client_id is None:
        return
    from core.db import session_scope

    with session_scope() as session:
        client_in_office(session, actor, client_id)


def require_clients(actor: Actor, client_ids: Iterable[int]) -> list[int]:
    """`clients_in_office` in a session of its own (a bulk job's body checks its whole list before any work)."""
    from core.db import session_scope

    with session_scope() as session:
        return clients_in_office(session, actor, client_ids)
