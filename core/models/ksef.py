"""KSeF plumbing shared across processes: rate limits and environment availability."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.models.base import created, enum_column, when
from core.types import KsefEnvironment, UtcDateTime


class RateLimit(SQLModel, table=True):
    """Effective limits per (environment, context NIP, endpoint group), seeded from GET /rate-limits."""

    __tablename__ = "rate_limit"

    environment: KsefEnvironment = enum_column(KsefEnvironment, 8, primary_key=True)
    context_nip: str = Field(max_length=10, primary_key=True)
    group: str = Field(max_length=60, primary_key=True)
    per_second: int
    per_minute: int
    per_hour: int
    blocked_until: datetime | None = when()  # set from a 429's Retry-After
    updated_at: datetime = created()


class RateSlot(SQLModel, table=True):
    """One request admitted by the limiter; the sliding windows count these rows."""

    __tablename__ = "rate_slot"
    __table_args__ = (sa.Index("ix_rate_slot_key_at", "environment", "context_nip", "group", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    environment: KsefEnvironment = enum_column(KsefEnvironment, 8)
    context_nip: str = Field(max_length=10)
    group: str = Field(max_length=60)
    at: datetime = Field(sa_type=UtcDateTime)


class RateLease(SQLModel, table=True):
    """Which process owns a context's rate-limit budget in memory, and until when (core/ksef/limiter.py)."""

    __tablename__ = "rate_lease"

    environment: KsefEnvironment = enum_column(KsefEnvironment, 8, primary_key=True)
    context_nip: str = Field(max_length=10, primary_key=True)
    owner: str = Field(default="", max_length=80)
    until: datetime | None = when()


class EnvironmentStatus(SQLModel, table=True):
    """The last availability probe of a KSeF environment (Latarnia)."""

    __tablename__ = "environment_status"

    environment: KsefEnvironment = enum_column(KsefEnvironment, 8, primary_key=True)
    status: str = Field(default="UNKNOWN", max_length=20)
    messages: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    checked_at: datetime = created()
