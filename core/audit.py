"""The audit log: every state change, login and secret operation leaves one row."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from core.models import AuditEvent
from core.models.base import new_row
from core.security import Actor


def record(session: Session, actor: Actor, action: str, target: str = "", **details: Any) -> None:
    """Add an audit event to the caller's transaction, so it commits (or not) with the change it describes.

    An INSERT, not an ORM object: every job and every sync writes one, and the unit of work's flush of a new object
    cost more than the statement (the fleet sync's profile)."""
    row = new_row(
        AuditEvent,
        office_id=actor.office_id,
        user_id=actor.user_id,
        actor=actor.username,
        action=action,
        target=target,
        details=details,
    )
    session.execute(sa.insert(AuditEvent.__table__).values(**row))  # type: ignore[attr-defined]
