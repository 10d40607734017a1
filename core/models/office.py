"""The office and its KSeF package."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.models.base import created, enum_column
from core.types import KsefEnvironment, PackagePolicy


class Office(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    nip: str = Field(max_length=10)
    account_id: str = Field(max_length=40, unique=True)  # the office master account (konto firmy głównej)
    default_environment: KsefEnvironment = enum_column(KsefEnvironment, 8, KsefEnvironment.SIM)
    sync_interval_minutes: int = 60
    schedule: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    created_at: datetime = created()


class Package(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id", unique=True)
    name: str = Field(default="KSeF", max_length=100)
    monthly_limit: int = 10_000
    billing_day: int = 1  # 1–28: the day a new package month starts
    exhausted_policy: PackagePolicy = enum_column(PackagePolicy, 8, PackagePolicy.warn)
    updated_at: datetime = created()
