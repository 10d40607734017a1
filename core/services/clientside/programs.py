"""Client programs (DESIGN.md §3 K.26), the office's side: link a client's program with a password of its own, see
its last contact, the documents exchanged and its errors, reset the password, remove the link (its history stays).

A program password follows the office's password policy and is hashed with argon2, like a user's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from core import audit
from core.db import session_scope
from core.errors import Conflict, InvalidInput, NotFound
from core.models import ClientProgram, IntakeAck, IntakeDocument, IntakeToken, Problem
from core.security import Actor, Permission, hash_password
from core.services.clientside.binding import office_client
from core.services.scope import require_client
from core.services.users import MIN_PASSWORD_LENGTH
from core.texts import Text
from core.types import ProblemStatus, utcnow

NAME_MAX = 64
INTAKE_OPERATIONS = ("intake_push", "intake_login")


@dataclass(frozen=True)
class ProgramView:
    id: int
    client_id: int
    name: str
    last_contact_at: datetime | None
    locked_until: datetime | None
    removed_at: datetime | None
    pushed: int
    pulled: int
    open_errors: int
    last_error: str


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(Text("users.password_length", length=MIN_PASSWORD_LENGTH))


def add_program(*, actor: Actor, client_id: int, name: str, password: str) -> ProgramView:
    actor.require(Permission.manage_clients)
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise InvalidInput(Text("program.name_invalid", limit=NAME_MAX))
    check_password(password)
    with session_scope(write=True) as session:
        office_client(session, actor, client_id)
        taken = session.exec(
            select(ClientProgram).where(ClientProgram.client_id == client_id, ClientProgram.name == name)
        ).first()
        if taken is not None:
            raise Conflict(Text("program.exists", name=name))
        row = ClientProgram(
            office_id=actor.office_id, client_id=client_id, name=name, password_hash=hash_password(password)
        )
        session.add(row)
        session.flush()
        audit.record(session, actor, "program.add", f"client:{client_id}", program=name)
        return _view(session, row)


def reset_password(*, actor: Actor, program_id: int, password: str) -> ProgramView:
    """A new password; the lockout ends and every token of the old password stops working."""
    actor.require(Permission.manage_clients)
    check_password(password)
    with session_scope(write=True) as session:
        row = _own(session, actor, program_id)
        if row.removed_at is not None:
            raise Conflict(Text("program.removed", name=row.name))
        row.password_hash = hash_password(password)
        row.failed_logins = 0
        row.locked_until = None
        session.add(row)
        session.execute(sa.delete(IntakeToken).where(col(IntakeToken.program_id) == program_id))
        audit.record(session, actor, "program.reset_password", f"client:{row.client_id}", program=row.name)
        return _view(session, row)


def remove_program(*, actor: Actor, program_id: int) -> ProgramView:
    """The link ends (its tokens with it); its documents and audit history stay."""
    actor.require(Permission.manage_clients)
    with session_scope(write=True) as session:
        row = _own(session, actor, program_id)
        if row.removed_at is None:
            row.removed_at = utcnow()
            session.add(row)
            session.execute(sa.delete(IntakeToken).where(col(IntakeToken.program_id) == program_id))
            audit.record(session, actor, "program.remove", f"client:{row.client_id}", program=row.name)
        return _view(session, row)


def list_programs(*, actor: Actor, client_id: int | None = None) -> list[ProgramView]:
    actor.require(Permission.view)
    require_client(actor, client_id)  # another office's client is not found, not an empty list
    with session_scope() as session:
        query = select(ClientProgram).where(ClientProgram.office_id == actor.office_id)
        if client_id is not None:
            query = query.where(ClientProgram.client_id == client_id)
        return [_view(session, row) for row in session.exec(query.order_by(ClientProgram.name)).all()]


def _own(session: Session, actor: Actor, program_id: int) -> ClientProgram:
    row = session.get(ClientProgram, program_id)
    if row is None or row.office_id != actor.office_id:
        raise NotFound(Text("program.not_found", id=program_id))
    return row


def _view(session: Session, row: ClientProgram) -> ProgramView:
    assert row.id is not None
    pushed = session.exec(select(func.count()).where(IntakeDocument.program_id == row.id)).one()
    pulled = session.exec(select(func.count()).where(IntakeAck.program_id == row.id)).one()
    errors = session.exec(
        select(func.count()).where(
            Problem.client_id == row.client_id,
            col(Problem.operation).in_(INTAKE_OPERATIONS),
            Problem.status == ProblemStatus.open,
        )
    ).one()
    return ProgramView(
        id=row.id, client_id=row.client_id, name=row.name, last_contact_at=row.last_contact_at,
        locked_until=row.locked_until, removed_at=row.removed_at, pushed=int(pushed), pulled=int(pulled),
        open_errors=int(errors), last_error=row.last_error,
    )  # fmt: skip
