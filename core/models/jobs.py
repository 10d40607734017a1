"""The job queue and the scheduler's lease."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.models.base import created, enum_column, when
from core.types import JobStatus, UtcDateTime


class JobRun(SQLModel, table=True):
    """The job queue (DESIGN.md §4): claimed with one UPDATE … RETURNING, leased, retried with backoff.

    Two partial unique indexes keep work from doubling: a scheduled job's (kind, subject, period) slot is queued once,
    and a dedup key (e.g. `sync:client:7`) has at most one pending or running job.
    """

    __tablename__ = "job_run"
    __table_args__ = (
        sa.Index("ix_job_run_claim", "status", "run_after"),
        sa.Index(
            "ux_job_run_period",
            "kind",
            "subject",
            "period",
            unique=True,
            sqlite_where=sa.text("period <> ''"),
            postgresql_where=sa.text("period <> ''"),
        ),
        sa.Index(
            "ux_job_run_dedup_key",
            "dedup_key",
            unique=True,
            sqlite_where=sa.text("status IN ('pending', 'running')"),
            postgresql_where=sa.text("status IN ('pending', 'running')"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    office_id: int | None = Field(default=None, foreign_key="office.id")
    kind: str = Field(max_length=40)
    subject: str = Field(default="", max_length=120)
    period: str = Field(default="", max_length=60)  # a scheduled job's slot; empty for jobs a person starts
    dedup_key: str | None = Field(default=None, max_length=120)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    status: JobStatus = enum_column(JobStatus, 10, JobStatus.pending)
    urgent: bool = True  # non-urgent work (backfills) is held when the package is exhausted
    priority: int = 0
    attempts: int = 0
    max_attempts: int = 5
    run_after: datetime = created()
    lease_owner: str = Field(default="", max_length=80)
    lease_expires_at: datetime | None = when()
    progress_done: int = 0
    progress_total: int = 0
    result: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    error: str = Field(default="", max_length=4000)
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created()
    started_at: datetime | None = when()
    finished_at: datetime | None = when()


class SchedulerLease(SQLModel, table=True):
    """On SQLite, the single scheduler holds this row's lease (PostgreSQL uses an advisory lock)."""

    __tablename__ = "scheduler_lease"

    name: str = Field(max_length=40, primary_key=True)
    owner: str = Field(max_length=80)
    expires_at: datetime = Field(sa_type=UtcDateTime)
