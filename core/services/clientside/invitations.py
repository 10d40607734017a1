"""Invitations of client users (DESIGN.md §3 K.24): the office invites a person of a client company by e-mail; the
link in the e-mail is single-use and expires; opening it lets the person choose a login and a password (the office's
password policy and argon2), and the account made is a user with role `client` bound to that one company.

The token travels only in the e-mail's link. The database keeps its SHA-256: a 256-bit random value needs no slow
hash, and a stolen table gives no usable link. Resending issues a new token, so an older e-mail's link stops working.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from sqlmodel import Session, col, select

from core import audit
from core.db import session_scope
from core.errors import Conflict, InvalidInput, NotFound
from core.models import Client, ClientInvitation, User, UserCreate, UserPublic
from core.security import Actor, Permission
from core.services.clientside.binding import office_client
from core.services.notifications.delivery import deliver
from core.services.notifications.rules import Notice
from core.services.scope import require_client
from core.services.users import create_user
from core.settings import get_settings
from core.texts import Text
from core.types import Role, utcnow

VALID_FOR = timedelta(hours=72)
ACTIVATION_PATH = "aktywacja"  # the activation page's URL path (dashboard/app.py serves it without a login)
MAIL_KIND = "invitation"


@dataclass(frozen=True)
class InvitationView:
    id: int
    client_id: int
    email: str
    full_name: str
    state: str  # pending | expired | accepted | revoked
    expires_at: datetime
    sent_count: int
    invited_by: str
    username: str  # of the account made, once accepted


@dataclass(frozen=True)
class InvitationSent:
    invitation: InvitationView
    mail_status: str  # sent | failed
    mail_error: str


@dataclass(frozen=True)
class InvitationCheck:
    """What the activation page may say about a link before the person sets a password."""

    state: str  # pending | expired | accepted | revoked | unknown
    client_name: str = ""
    email: str = ""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def activation_link(token: str) -> str:
    settings = get_settings()
    return f"http://{settings.ui_address}:{settings.ui_port}/{ACTIVATION_PATH}?token={quote(token)}"


def _state(row: ClientInvitation, now: datetime) -> str:
    if row.accepted_at is not None:
        return "accepted"
    if row.revoked_at is not None:
        return "revoked"
    return "expired" if row.expires_at <= now else "pending"


def _view(session: Session, row: ClientInvitation) -> InvitationView:
    assert row.id is not None
    user = session.get(User, row.user_id) if row.user_id is not None else None
    return InvitationView(
        id=row.id, client_id=row.client_id, email=row.email, full_name=row.full_name, state=_state(row, utcnow()),
        expires_at=row.expires_at, sent_count=row.sent_count, invited_by=row.invited_by,
        username=user.username if user else "",
    )  # fmt: skip


def invite(*, actor: Actor, client_id: int, email: str, full_name: str = "") -> InvitationSent:
    """Create the invitation and send its e-mail (after the commit: no transaction is held across SMTP)."""
    actor.require(Permission.manage_clients)
    address = email.strip()
    if "@" not in address or len(address) > 254 or any(c.isspace() for c in address):
        raise InvalidInput(Text("invitation.email_invalid", email=address))
    token = secrets.token_urlsafe(32)
    with session_scope(write=True) as session:
        client = office_client(session, actor, client_id)
        if client.archived_at is not None:
            raise NotFound(Text("client.not_found_active", id=client_id))
        row = ClientInvitation(
            office_id=actor.office_id, client_id=client_id, email=address, full_name=full_name.strip()[:200],
            token_hash=token_hash(token), invited_by=actor.username, sent_count=1, expires_at=utcnow() + VALID_FOR,
        )  # fmt: skip
        session.add(row)
        session.flush()
        audit.record(session, actor, "invitation.create", f"client:{client_id}", email=address, invitation=row.id)
        client_name = client.name
        assert row.id is not None
        invitation_id = row.id
    return _send(actor, invitation_id, client_name, address, token, 1)


def resend(*, actor: Actor, invitation_id: int) -> InvitationSent:
    """A new link (the old one stops working) and a new validity period; an accepted or revoked one is refused."""
    actor.require(Permission.manage_clients)
    token = secrets.token_urlsafe(32)
    with session_scope(write=True) as session:
        row = _own(session, actor, invitation_id)
        state = _state(row, utcnow())
        if state in ("accepted", "revoked"):
            raise Conflict(Text(f"invitation.resend_{state}"))
        row.token_hash = token_hash(token)
        row.expires_at = utcnow() + VALID_FOR
        row.sent_count += 1
        session.add(row)
        audit.record(session, actor, "invitation.resend", f"client:{row.client_id}", invitation=invitation_id)
        client = office_client(session, actor, row.client_id)
        client_name, address, count = client.name, row.email, row.sent_count
    return _send(actor, invitation_id, client_name, address, token, count)


def revoke(*, actor: Actor, invitation_id: int) -> InvitationView:
    actor.require(Permission.manage_clients)
    with session_scope(write=True) as session:
        row = _own(session, actor, invitation_id)
        if row.accepted_at is not None:
            raise Conflict(Text("invitation.revoke_accepted"))
        row.revoked_at = row.revoked_at or utcnow()
        session.add(row)
        audit.record(session, actor, "invitation.revoke", f"client:{row.client_id}", invitation=invitation_id)
        return _view(session, row)


def list_invitations(*, actor: Actor, client_id: int | None = None) -> list[InvitationView]:
    actor.require(Permission.manage_clients)
    require_client(actor, client_id)  # another office's client is not found, not an empty list
    with session_scope() as session:
        query = select(ClientInvitation).where(ClientInvitation.office_id == actor.office_id)
        if client_id is not None:
            query = query.where(ClientInvitation.client_id == client_id)
        rows = session.exec(query.order_by(col(ClientInvitation.id).desc())).all()
        return [_view(session, row) for row in rows]


def check(token: str) -> InvitationCheck:
    """For the activation page (no login): what state the link is in and whose it is."""
    with session_scope() as session:
        row = _by_token(session, token)
        if row is None:
            return InvitationCheck("unknown")
        client = session.get(Client, row.client_id)
        return InvitationCheck(_state(row, utcnow()), client.name if client else "", row.email)


def activate(*, token: str, username: str, password: str, full_name: str = "") -> UserPublic:
    """Use the link once: the client user is made and the invitation is spent, in one transaction."""
    with session_scope(write=True) as session:
        row = _by_token(session, token)
        state = "unknown" if row is None else _state(row, utcnow())
        if row is None or state != "pending":
            raise InvalidInput(Text(f"invitation.link_{state}"))
        user = create_user(
            session,
            office_id=row.office_id,
            data=UserCreate(
                username=username,
                password=password,
                role=Role.client,
                full_name=full_name.strip() or row.full_name,
                email=row.email,
            ),
            client_id=row.client_id,
        )
        row.accepted_at = utcnow()
        row.user_id = user.id
        session.add(row)
        actor = Actor(user.username, Role.client, row.office_id, user.id, row.client_id)
        audit.record(session, actor, "invitation.accept", f"client:{row.client_id}", invitation=row.id)
        return UserPublic.of(user)


def _by_token(session: Session, token: str) -> ClientInvitation | None:
    if not token or len(token) > 200:
        return None
    return session.exec(select(ClientInvitation).where(ClientInvitation.token_hash == token_hash(token))).first()


def _own(session: Session, actor: Actor, invitation_id: int) -> ClientInvitation:
    row = session.get(ClientInvitation, invitation_id)
    if row is None or row.office_id != actor.office_id:
        raise NotFound(Text("invitation.not_found", id=invitation_id))
    return row


def _send(actor: Actor, invitation_id: int, client_name: str, address: str, token: str, count: int) -> InvitationSent:
    notice = Notice(
        MAIL_KIND,
        f"invitation:{invitation_id}:{count}",
        Text("mail.invitation.subject", client=client_name),
        Text("mail.invitation.body", client=client_name, link=activation_link(token), hours=int(VALID_FOR.days * 24)),
    )
    status, error = deliver(actor.office_id, notice, [address])
    with session_scope(write=True) as session:
        row = session.get(ClientInvitation, invitation_id)
        assert row is not None
        audit.record(session, actor, "invitation.mail", f"client:{row.client_id}", invitation=invitation_id,
                     status=status)  # fmt: skip
        return InvitationSent(_view(session, row), status, error)
