"""Counted document operations and their rollups."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.models.base import created, enum_column
from core.types import UsageKind


class UsageEvent(SQLModel, table=True):
    """One counted document operation; unique per invoice and kind, so a retry never counts twice.

    Usage is billing history: it outlives the invoice rows (retention may purge them), hence the nullable reference.
    """

    __tablename__ = "usage_event"
    __table_args__ = (
        sa.UniqueConstraint("invoice_id", "kind"),
        sa.Index("ix_usage_event_office_occurred", "office_id", "occurred_at"),
        sa.Index("ix_usage_event_client_occurred", "client_id", "occurred_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id")
    client_id: int = Field(foreign_key="client.id")
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id", ondelete="SET NULL")
    kind: UsageKind = enum_column(UsageKind, 20)
    occurred_at: datetime = created()


class UsageDaily(SQLModel, table=True):
    """Rollup of usage events per client, Warsaw calendar day and kind, kept by the worker."""

    __tablename__ = "usage_daily"

    client_id: int = Field(foreign_key="client.id", primary_key=True)
    day: date = Field(primary_key=True, index=True)
    kind: UsageKind = enum_column(UsageKind, 20, primary_key=True)
    office_id: int = Field(foreign_key="office.id", index=True)
    count: int = 0


class UsageOfficeDaily(SQLModel, table=True):
    """Usage of the whole office per Warsaw day and kind: the burn-down chart and the package gauge read this."""

    __tablename__ = "usage_office_daily"

    office_id: int = Field(foreign_key="office.id", primary_key=True)
    day: date = Field(primary_key=True)
    kind: UsageKind = enum_column(UsageKind, 20, primary_key=True)
    count: int = 0


class UsagePeriod(SQLModel, table=True):
    """Usage per client, package month (its first day) and kind: the client table's package share reads this."""

    __tablename__ = "usage_period"
    __table_args__ = (sa.Index("ix_usage_period_office_period", "office_id", "period_start"),)

    client_id: int = Field(foreign_key="client.id", primary_key=True)
    period_start: date = Field(primary_key=True)
    kind: UsageKind = enum_column(UsageKind, 20, primary_key=True)
    office_id: int = Field(foreign_key="office.id")
    count: int = 0
