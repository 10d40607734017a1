"""Link status per client, derived from facts the console holds and never typed by hand (DESIGN.md §3 A.4)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from core.models import Client, Credential, Link, Problem
from core.services.problems import open_problem_classes
from core.types import AuthMethod, LinkStatus, ProblemClass, ProblemStatus, utcnow

EXPIRY_WARNING = timedelta(days=30)
REAUTH_WARNING = timedelta(days=2)
# A person must act for these; the others mean "the last attempt failed, the class says why".
ACTION_REQUIRED_CLASSES = {ProblemClass.auth_required, ProblemClass.invalid_credentials, ProblemClass.missing_rights}
# Work that cannot succeed until a person acts pauses for these; the link health check keeps retrying them, so a
# cause fixed outside the console heals without a click. Every other class passes by itself: the schedule keeps going.
PAUSING_CLASSES = ACTION_REQUIRED_CLASSES | {ProblemClass.wrong_company_key}
# A rejected or duplicate invoice is a problem of that invoice, not of the client's link.
INVOICE_CLASSES = {ProblemClass.invalid_invoice, ProblemClass.duplicate}
READ, WRITE = "InvoiceRead", "InvoiceWrite"


def active_link(session: Session, client_id: int) -> Link | None:
    return session.exec(
        select(Link).where(Link.client_id == client_id, col(Link.unlinked_at).is_(None)).order_by(col(Link.id).desc())
    ).first()


def derive_status(
    *, client: Client, link: Link | None, credential: Credential | None, problems: set[str], now: datetime
) -> LinkStatus:
    problems = problems - INVOICE_CLASSES
    if client.archived_at is not None:
        return LinkStatus.unlinked
    if link is None:
        return LinkStatus.not_linked
    if problems & ACTION_REQUIRED_CLASSES:
        return LinkStatus.action_required
    if credential is not None and credential.valid_to is not None and credential.valid_to < now:
        return LinkStatus.action_required
    if link.auth_method in {AuthMethod.qualified_signature, AuthMethod.trusted_profile} and (
        link.reauth_due_at is None or link.reauth_due_at < now
    ):
        return LinkStatus.action_required if link.last_success_at else LinkStatus.not_linked
    if problems:
        return LinkStatus.error
    if link.last_success_at is None or link.key_verified_at is None:
        return LinkStatus.not_linked
    rights = set(link.permissions or [])
    if READ not in rights and "Owner" not in rights:
        return LinkStatus.action_required
    if _degraded(link, credential, rights, now):
        return LinkStatus.degraded
    return LinkStatus.linked


def _degraded(link: Link, credential: Credential | None, rights: set[str], now: datetime) -> bool:
    if credential is not None and credential.valid_to is not None and credential.valid_to < now + EXPIRY_WARNING:
        return True
    if link.send_enabled and WRITE not in rights and "Owner" not in rights:
        return True
    return link.reauth_due_at is not None and link.reauth_due_at < now + REAUTH_WARNING


def refresh_link_status(session: Session, client_id: int) -> str:
    """Recompute and store the client's link status; call after every operation that touches the link."""
    client = session.get(Client, client_id)
    if client is None:
        return LinkStatus.not_linked
    link = active_link(session, client_id)
    credential = session.get(Credential, link.credential_id) if link and link.credential_id else None
    status = derive_status(
        client=client, link=link, credential=credential, problems=open_problem_classes(session, client_id), now=utcnow()
    )
    if client.link_status != status:
        client.link_status = status
        client.updated_at = utcnow()
        session.add(client)
    return status


def syncable_clients(session: Session, *, office_id: int | None = None) -> list[tuple[int, int]]:
    """(client id, office id) of every client whose sync can succeed: a link that has worked, and no open problem
    that needs a person. A link in `error` stays in: its last attempt failed for a reason that passes by itself, and
    only the next successful sync closes that problem (DESIGN.md §9.2)."""
    paused = select(Problem.client_id).where(
        Problem.status == ProblemStatus.open,
        col(Problem.problem_class).in_(PAUSING_CLASSES),
        col(Problem.client_id).is_not(None),  # NOT IN over a NULL would exclude every client
    )
    worked = select(Link.client_id).where(
        col(Link.unlinked_at).is_(None), col(Link.last_success_at).is_not(None), col(Link.key_verified_at).is_not(None)
    )
    query = select(Client.id, Client.office_id).where(
        col(Client.archived_at).is_(None),
        sa.or_(
            col(Client.link_status).in_([LinkStatus.linked, LinkStatus.degraded]),
            sa.and_(col(Client.link_status) == LinkStatus.error, col(Client.id).in_(worked.scalar_subquery())),
        ),
        col(Client.id).not_in(paused.scalar_subquery()),
    )
    if office_id is not None:
        query = query.where(Client.office_id == office_id)
    return [(client_id, office) for client_id, office in session.exec(query).all() if client_id is not None]


def can_sync(session: Session, client_id: int) -> bool:
    client = session.get(Client, client_id)
    return client is not None and client_id in {c for c, _ in syncable_clients(session, office_id=client.office_id)}
