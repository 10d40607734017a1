"""What the office allows each client to do itself (DESIGN.md §3 K.24): view its documents, authenticate its own
KSeF link, send invoices itself. Off by default (no row = nothing allowed); every change is audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session, select

from core import audit
from core.db import session_scope
from core.errors import PermissionDenied
from core.models import ClientAccess
from core.security import Actor, Permission
from core.services.clientside.binding import office_client
from core.texts import Text
from core.types import utcnow

Allowance = Literal["view_documents", "authenticate_link", "send_invoices"]
ALLOWANCES: tuple[Allowance, ...] = ("view_documents", "authenticate_link", "send_invoices")


@dataclass(frozen=True)
class AccessView:
    client_id: int
    view_documents: bool = False
    authenticate_link: bool = False
    send_invoices: bool = False

    def allows(self, what: Allowance) -> bool:
        return bool(getattr(self, what))


def read(session: Session, client_id: int) -> AccessView:
    row = session.exec(select(ClientAccess).where(ClientAccess.client_id == client_id)).first()
    if row is None:
        return AccessView(client_id)
    return AccessView(client_id, row.view_documents, row.authenticate_link, row.send_invoices)


def require_allowed(session: Session, client_id: int, what: Allowance) -> None:
    if not read(session, client_id).allows(what):
        raise PermissionDenied(Text("client_access.not_allowed", what=Text(f"client_access.{what}")))


def get_access(*, actor: Actor, client_id: int) -> AccessView:
    actor.require(Permission.view)
    with session_scope() as session:
        office_client(session, actor, client_id)
        return read(session, client_id)


def set_access(*, actor: Actor, client_id: int, **allowed: bool) -> AccessView:
    """Change some allowances (manager or support); the audit event names each change from → to."""
    actor.require(Permission.manage_clients)
    unknown = set(allowed) - set(ALLOWANCES)
    if unknown:
        raise ValueError(f"unknown allowances: {sorted(unknown)}")
    with session_scope(write=True) as session:
        office_client(session, actor, client_id)
        row = session.exec(select(ClientAccess).where(ClientAccess.client_id == client_id)).first()
        row = row or ClientAccess(client_id=client_id)
        changes = {
            name: [bool(getattr(row, name)), bool(value)]
            for name, value in allowed.items()
            if bool(getattr(row, name)) != bool(value)
        }
        if changes:
            for name, (_before, after) in changes.items():
                setattr(row, name, after)
            row.updated_at = utcnow()
            session.add(row)
            audit.record(session, actor, "client_access.set", f"client:{client_id}", changes=changes)
        session.flush()
        return read(session, client_id)
