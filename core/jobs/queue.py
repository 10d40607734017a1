"""The job queue is the `job_run` table.

Claiming is one statement that is correct on SQLite and PostgreSQL:
`UPDATE job_run SET … WHERE id IN (SELECT id … FOR UPDATE SKIP LOCKED) AND status='pending' RETURNING …`.
On PostgreSQL the sub-select skips rows another worker is claiming; on SQLite the write lock (BEGIN IMMEDIATE)
serialises claimers and the `status='pending'` re-check keeps a row from being claimed twice. A claimed job holds a
lease that long jobs renew; the reaper returns jobs whose lease ran out (a killed worker) to the queue.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from core.db import get_engine, rowcount, session_scope
from core.models import JobRun
from core.types import JobStatus, utcnow

DEFAULT_LEASE_SECONDS = 60
BACKOFF_BASE_SECONDS = 5
BACKOFF_CAP_SECONDS = 15 * 60


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    subject: str
    period: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    office_id: int | None
    created_by: int | None


def enqueue(
    kind: str,
    *,
    subject: str = "",
    period: str = "",
    payload: dict[str, Any] | None = None,
    office_id: int | None = None,
    created_by: int | None = None,
    urgent: bool = True,
    priority: int = 0,
    max_attempts: int = 5,
    run_after: datetime | None = None,
) -> int:
    """Add a job unless one with the same (kind, subject, period) exists; return the id either way."""
    values = {
        "kind": kind,
        "subject": subject,
        "period": period,
        "payload": payload or {},
        "office_id": office_id,
        "created_by": created_by,
        "urgent": urgent,
        "priority": priority,
        "max_attempts": max_attempts,
        "status": JobStatus.pending,
        "run_after": run_after or utcnow(),
        "created_at": utcnow(),
    }
    insert = postgresql.insert if get_engine().dialect.name == "postgresql" else sqlite.insert
    statement = insert(JobRun).values(**values).on_conflict_do_nothing(index_elements=["kind", "subject", "period"])
    with session_scope(write=True) as session:
        session.execute(statement)
        job_id = session.exec(
            select(JobRun.id).where(JobRun.kind == kind, JobRun.subject == subject, JobRun.period == period)
        ).one()
    assert job_id is not None
    return job_id


def claim(
    worker_id: str,
    *,
    limit: int = 1,
    lease_seconds: int = DEFAULT_LEASE_SECONDS,
    kinds: list[str] | None = None,
    include_non_urgent: bool = True,
    job_id: int | None = None,
    held_offices: list[int] | None = None,
) -> list[ClaimedJob]:
    """Claim due jobs. Non-urgent jobs of `held_offices` (package used up, `hold` policy) stay in the queue."""
    now = utcnow()
    table = JobRun.__table__  # type: ignore[attr-defined]
    candidates = (
        sa.select(table.c.id)
        .where(table.c.status == JobStatus.pending, table.c.run_after <= now)
        .order_by(table.c.priority.desc(), table.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if kinds:
        candidates = candidates.where(table.c.kind.in_(kinds))
    if job_id is not None:
        candidates = candidates.where(table.c.id == job_id)
    if not include_non_urgent:
        candidates = candidates.where(table.c.urgent.is_(True))
    if held_offices:
        candidates = candidates.where(
            sa.or_(table.c.urgent.is_(True), table.c.office_id.is_(None), table.c.office_id.not_in(held_offices))
        )
    statement = (
        sa.update(table)
        .where(table.c.id.in_(candidates.scalar_subquery()), table.c.status == JobStatus.pending)
        .values(
            status=JobStatus.running,
            lease_owner=worker_id,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            attempts=table.c.attempts + 1,
            started_at=now,
        )
        .returning(
            table.c.id,
            table.c.kind,
            table.c.subject,
            table.c.period,
            table.c.payload,
            table.c.attempts,
            table.c.max_attempts,
            table.c.office_id,
            table.c.created_by,
        )
    )
    with session_scope(write=True) as session:
        rows = session.execute(statement).all()
    return [ClaimedJob(**row._mapping) for row in rows]


def renew_lease(job_id: int, worker_id: str, *, lease_seconds: int = DEFAULT_LEASE_SECONDS) -> bool:
    """Extend a running job's lease; False means the job is no longer ours (reaped or cancelled)."""
    with session_scope(write=True) as session:
        result = session.execute(
            sa.update(JobRun)
            .where(col(JobRun.id) == job_id, col(JobRun.lease_owner) == worker_id, col(JobRun.status) == "running")
            .values(lease_expires_at=utcnow() + timedelta(seconds=lease_seconds))
        )
    return bool(rowcount(result))


def set_progress(job_id: int, done: int, total: int, result: dict[str, Any] | None = None) -> None:
    """Progress the UI shows; `result` lets a page fill in per-item outcomes while the job still runs."""
    values: dict[str, Any] = {"progress_done": done, "progress_total": total}
    if result is not None:
        values["result"] = result
    with session_scope(write=True) as session:
        session.execute(sa.update(JobRun).where(col(JobRun.id) == job_id).values(**values))


def complete(job_id: int, worker_id: str, result: dict[str, Any] | None = None) -> bool:
    with session_scope(write=True) as session:
        outcome = session.execute(
            sa.update(JobRun)
            .where(col(JobRun.id) == job_id, col(JobRun.lease_owner) == worker_id, col(JobRun.status) == "running")
            .values(status=JobStatus.done, result=result or {}, finished_at=utcnow(), lease_expires_at=None)
        )
    return bool(rowcount(outcome))


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: 5 s, 10 s, 20 s … capped at 15 minutes."""
    delay = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return delay * random.uniform(0.8, 1.2)


def fail(job_id: int, worker_id: str, error: str, *, retryable: bool = True, retry_after: float | None = None) -> str:
    """Record a failed attempt: back to the queue with backoff, or `dead` when attempts are used up."""
    with session_scope(write=True) as session:
        job = session.get(JobRun, job_id)
        if job is None or job.lease_owner != worker_id or job.status != JobStatus.running:
            return "lost"
        now = utcnow()
        job.error = error[:4000]
        job.lease_expires_at = None
        if retryable and job.attempts < job.max_attempts:
            delay = retry_after if retry_after is not None else backoff_seconds(job.attempts)
            job.status = JobStatus.pending
            job.run_after = now + timedelta(seconds=delay)
        else:
            job.status = JobStatus.dead
            job.finished_at = now
        session.add(job)
        return job.status


def reap_expired() -> int:
    """Return jobs whose lease ran out (their worker died) to the queue, or bury them when out of attempts."""
    now = utcnow()
    table = JobRun.__table__  # type: ignore[attr-defined]
    expired = sa.and_(table.c.status == JobStatus.running, table.c.lease_expires_at < now)
    with session_scope(write=True) as session:
        buried = rowcount(
            session.execute(
                sa.update(table)
                .where(expired, table.c.attempts >= table.c.max_attempts)
                .values(status=JobStatus.dead, finished_at=now, error="lease expired: the worker stopped")
            )
        )
        requeued = rowcount(
            session.execute(
                sa.update(table).where(expired).values(status=JobStatus.pending, run_after=now, lease_owner="")
            )
        )
    return buried + requeued


def cancel(job_id: int) -> bool:
    with session_scope(write=True) as session:
        outcome = session.execute(
            sa.update(JobRun)
            .where(col(JobRun.id) == job_id, col(JobRun.status).in_(["pending", "held"]))
            .values(status=JobStatus.cancelled, finished_at=utcnow())
        )
    return bool(rowcount(outcome))


def get_job(job_id: int) -> JobRun | None:
    with session_scope() as session:
        return session.get(JobRun, job_id)
