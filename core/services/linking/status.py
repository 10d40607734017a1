"""Link status per client, derived from facts the console holds and never typed by hand (DESIGN.md §3 A.4)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from core.models import Client, Credential, Link
from core.services.problems import open_problem_classes
from core.types import AuthMethod, LinkStatus, ProblemClass, utcnow

EXPIRY_WARNING = timedelta(days=30)
REAUTH_WARNING = timedelta(days=2)
# A person must act for these; the others mean "the last attempt failed, the class says why".
ACTION_REQUIRED_CLASSES = {ProblemClass.auth_required, ProblemClass.invalid_credentials, ProblemClass.missing_rights}
READ, WRITE = "InvoiceRead", "InvoiceWrite"


def active_link(session: Session, client_id: int) -> Link | None:
    return session.exec(
        select(Link).where(Link.client_id == client_id, col(Link.unlinked_at).is_(None)).order_by(col(Link.id).desc())
    ).first()


def derive_status(
    *, client: Client, link: Link | None, credential: Credential | None, problems: set[str], now: datetime
) -> LinkStatus:
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
