"""The audit log: every state change, login and secret operation leaves one row."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core.models import AuditEvent
from core.security import Actor


def record(session: Session, actor: Actor, action: str, target: str = "", **details: Any) -> None:
    """Add an audit event to the caller's transaction, so it commits (or not) with the change it describes."""
    session.add(
        AuditEvent(
            office_id=actor.office_id,
            user_id=actor.user_id,
            actor=actor.username,
            action=action,
            target=target,
            details=details,
        )
    )
