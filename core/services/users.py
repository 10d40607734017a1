"""Users and logins: argon2 hashes, lockout kept in the database, roles."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import Session, select

from core import audit
from core.db import session_scope
from core.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound
from core.formatting import format_datetime
from core.models import AuditEvent, User, UserCreate, UserPublic
from core.security import Actor, Permission, hash_password, verify_password
from core.settings import get_settings
from core.texts import Text
from core.types import Role, utcnow

MIN_PASSWORD_LENGTH = 8
_USERNAME = re.compile(r"[a-z0-9._-]{3,64}")


def authenticate(*, username: str, password: str) -> Actor:
    """Check a login; five failures lock the account for fifteen minutes (both configurable).

    The outcome is committed (failed-login counter, lock, audit event) before the error is raised.
    """
    with session_scope(write=True) as session:
        actor, refusal = _check_login(session, username.strip().lower(), password)
    if refusal is not None:
        raise AuthenticationFailed(refusal)
    assert actor is not None
    return actor


def _check_login(session: Session, username: str, password: str) -> tuple[Actor | None, str | None]:
    settings = get_settings()
    now = utcnow()
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        verify_password(None, password)  # same time as a wrong password
        session.add(AuditEvent(actor=username[:64] or "?", action="login.failure", target=username[:120]))
        return None, Text("users.login.wrong")
    actor = _actor(user)
    if user.disabled_at is not None:
        audit.record(session, actor, "login.refused", user.username, reason="disabled")
        return None, Text("users.login.disabled")
    if user.locked_until is not None and user.locked_until > now:
        audit.record(session, actor, "login.refused", user.username, reason="locked")
        return None, _locked_message(user)
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        session.add(user)
        if user.failed_logins < settings.login_max_failures:
            audit.record(session, actor, "login.failure", user.username)
            return None, Text("users.login.wrong")
        user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
        user.failed_logins = 0
        audit.record(session, actor, "login.locked", user.username)
        return None, _locked_message(user)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    session.add(user)
    audit.record(session, actor, "login.success", user.username)
    return actor, None


def _locked_message(user: User) -> str:
    until = format_datetime(user.locked_until) if user.locked_until else ""
    return Text("users.login.locked", until=until)


def _actor(user: User) -> Actor:
    assert user.id is not None
    return Actor(
        username=user.username,
        role=Role(user.role),
        office_id=user.office_id,
        user_id=user.id,
        client_id=user.client_id,
    )


def actor_for(user_id: int) -> Actor | None:
    """Re-load the acting user of a UI session; None when the account is gone or disabled."""
    with session_scope() as session:
        user = session.get(User, user_id)
        if user is None or user.disabled_at is not None:
            return None
        return _actor(user)


def create_user(
    session: Session, *, office_id: int, data: UserCreate, check_password: bool = True, client_id: int | None = None
) -> User:
    """The one place a user row is born (the CLI, the settings page, invitations and the demo seed come through here).
    A client user is bound to its company (`client_id`); an office user never is."""
    username = data.username.strip().lower()
    problems = []
    if not _USERNAME.fullmatch(username):
        problems.append(Text("users.username_format"))
    if data.role not in set(Role):
        problems.append(Text("users.unknown_role", role=repr(data.role)))
    elif (Role(data.role) == Role.client) != (client_id is not None):
        problems.append(Text("users.client_binding"))
    if check_password and len(data.password) < MIN_PASSWORD_LENGTH:
        problems.append(Text("users.password_length", length=MIN_PASSWORD_LENGTH))
    if problems:
        raise InvalidInput(problems)
    if session.exec(select(User).where(User.username == username)).first() is not None:
        raise Conflict(Text("users.exists", username=username))
    user = User(
        office_id=office_id,
        username=username,
        full_name=data.full_name.strip(),
        email=data.email.strip(),
        role=Role(data.role),
        client_id=client_id,
        language=data.language,
        password_hash=hash_password(data.password),
    )
    session.add(user)
    session.flush()
    return user


def add_user(*, actor: Actor, data: UserCreate) -> UserPublic:
    actor.require(Permission.manage_users)
    with session_scope(write=True) as session:
        user = create_user(session, office_id=actor.office_id, data=data)
        audit.record(session, actor, "user.add", user.username, role=user.role)
        return UserPublic.of(user)


def list_users(*, actor: Actor) -> list[UserPublic]:
    actor.require(Permission.manage_users)
    with session_scope() as session:
        users = session.exec(select(User).where(User.office_id == actor.office_id).order_by(User.username)).all()
        return [UserPublic.of(u) for u in users]


def _own_user(session: Session, actor: Actor, username: str) -> User:
    user = session.exec(
        select(User).where(User.username == username.strip().lower(), User.office_id == actor.office_id)
    ).first()
    if user is None:
        raise NotFound(Text("users.not_found", username=username))
    return user


def disable_user(*, actor: Actor, username: str) -> UserPublic:
    actor.require(Permission.manage_users)
    with session_scope(write=True) as session:
        user = _own_user(session, actor, username)
        if user.id == actor.user_id:
            raise Conflict(Text("users.disable_self"))
        user.disabled_at = user.disabled_at or utcnow()
        session.add(user)
        audit.record(session, actor, "user.disable", user.username)
        return UserPublic.of(user)


def set_role(*, actor: Actor, username: str, role: str) -> UserPublic:
    actor.require(Permission.manage_users)
    if role not in set(Role):
        raise InvalidInput(Text("users.unknown_role", role=repr(role)))
    if Role(role) == Role.client:
        raise InvalidInput(Text("users.client_binding"))
    with session_scope(write=True) as session:
        user = _own_user(session, actor, username)
        if user.role == Role.client:
            raise InvalidInput(Text("users.client_binding"))
        if user.id == actor.user_id and role != Role.manager:
            raise Conflict(Text("users.demote_self"))
        previous, user.role = user.role, Role(role)
        session.add(user)
        audit.record(session, actor, "user.set_role", user.username, previous=previous, role=role)
        return UserPublic.of(user)
