"""The audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.types import UtcDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    office_id: int | None = Field(default=None, foreign_key="office.id")
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=60, index=True)
    target: str = Field(default="", max_length=120)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
