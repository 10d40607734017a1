"""E-mail notifications: switches, SMTP settings and the sent log."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.models.base import created, enum_column
from core.types import NotificationKind


class NotificationSetting(SQLModel, table=True):
    __tablename__ = "notification_setting"
    __table_args__ = (sa.UniqueConstraint("office_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id")
    kind: NotificationKind = enum_column(NotificationKind, 24)
    enabled: bool = True
    recipients: str = Field(default="", max_length=1000)  # comma-separated; empty = the office managers


class SmtpSettings(SQLModel, table=True):
    __tablename__ = "smtp_settings"

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id", unique=True)
    host: str = Field(default="", max_length=255)
    port: int = 587
    security: str = Field(default="starttls", max_length=10)  # none / starttls / tls
    sender: str = Field(default="", max_length=254)
    username: str = Field(default="", max_length=254)
    password_ciphertext: bytes | None = Field(default=None, sa_type=sa.LargeBinary)


class NotificationLog(SQLModel, table=True):
    """Every e-mail sent; `dedup_key` makes each event go out once."""

    __tablename__ = "notification_log"

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id", index=True)
    kind: str = Field(sa_type=sa.String(24))  # a NotificationKind, or another mail (test, invitation, instruction)
    dedup_key: str = Field(max_length=200, unique=True)
    recipients: str = Field(default="", max_length=1000)
    subject: str = Field(default="", max_length=300)
    status: str = Field(default="sent", max_length=10)
    error: str = Field(default="", max_length=1000)
    sent_at: datetime = created()
