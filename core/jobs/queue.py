"""The job queue is the `job_run` table. Jobs enter it through `start_job`, in the transaction of the change that
asks for them and with its audit event; a kind's dedup key lets at most one job per key be pending or running, and a
scheduled job's period slot is queued once (both held by partial unique indexes, so also under concurrent starts).

Claiming is one statement that is correct on SQLite and PostgreSQL:
`UPDATE job_run SET … WHERE id IN (SELECT id … FOR UPDATE SKIP LOCKED) AND status='pending' RETURNING …`.
On PostgreSQL the sub-select skips rows another worker is claiming; on SQLite the write lock (BEGIN IMMEDIATE)
serialises claimers and the `status='pending'` re-check keeps a row from being claimed twice. A claimed job holds a
lease that long jobs renew; the reaper returns jobs whose lease ran out (a killed worker) to the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from core import audit
from core.db import rowcount, session_scope
from core.jobs.spec import JobSpec, P, to_json
from core.models import JobRun
from core.security import Actor
from core.types import JobStatus, utcnow

DEFAULT_LEASE_SECONDS = 60
ACTIVE = (JobStatus.pending, JobStatus.running)  # a dedup key allows one job in these states


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


@dataclass(frozen=True)
class StartedJob:
    id: int
    run_after: datetime
    new: bool  # False: the job that was already pending or running for this dedup key (or this period)


def start_job(
    session: Session,
    actor: Actor | None,
    spec: JobSpec[P, Any],
    payload: P,
    *,
    action: str | None = None,
    target: str = "",
    subject: str = "",
    period: str = "",
    run_after: datetime | None = None,
    urgent: bool = True,
    priority: int | None = None,
    **details: Any,
) -> StartedJob:
    """Queue a job in the caller's transaction together with its audit event, so the job exists exactly when the
    change that asked for it commits.

    `actor` is the person (or a system actor: the scheduler, the CLI) the job runs for and is checked against the
    kind's permission; None is the scheduler's upkeep that belongs to no office. `period` makes a scheduled job
    idempotent per slot. A job started by a person is always audited (as `action`, by default `job.<kind>`).
    """
    if actor is not None:
        actor.require(spec.permission)
    job = insert(
        session,
        kind=spec.kind,
        subject=subject[:120],
        period=period,
        payload=to_json(payload),
        office_id=actor.office_id if actor is not None else None,
        created_by=actor.user_id if actor is not None else None,
        urgent=urgent,
        priority=spec.priority if priority is None else priority,
        max_attempts=spec.retry.attempts,
        run_after=run_after,
        dedup_key=spec.dedup_key(payload),
    )
    if actor is not None and (action is not None or actor.user_id is not None):
        extra = {} if job.new else {"existing": True}
        audit.record(
            session, actor, action or f"job.{spec.kind}", target or f"job:{job.id}", job_id=job.id, **extra, **details
        )
    return job


def insert(
    session: Session,
    *,
    kind: str,
    subject: str = "",
    period: str = "",
    payload: dict[str, Any] | None = None,
    office_id: int | None = None,
    created_by: int | None = None,
    urgent: bool = True,
    priority: int = 0,
    max_attempts: int = 1,
    run_after: datetime | None = None,
    dedup_key: str | None = None,
) -> StartedJob:
    """Add a job row, unless a job with its dedup key is pending or running, or its period's job exists (then that
    job is returned). The partial unique indexes make this hold under concurrent inserts on PostgreSQL too."""
    table = JobRun.__table__  # type: ignore[attr-defined]
    existing = _existing(session, kind, subject, period, dedup_key)
    if existing is not None:
        return existing
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
        "dedup_key": dedup_key,
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(**values).on_conflict_do_nothing()
    row = session.execute(statement.returning(table.c.id, table.c.run_after)).first()
    if row is not None:
        return StartedJob(row.id, row.run_after, new=True)
    existing = _existing(session, kind, subject, period, dedup_key)  # another transaction inserted it meanwhile
    assert existing is not None
    return existing


def _existing(session: Session, kind: str, subject: str, period: str, dedup_key: str | None) -> StartedJob | None:
    table = JobRun.__table__  # type: ignore[attr-defined]
    conditions = []
    if dedup_key is not None:
        conditions.append(sa.and_(table.c.dedup_key == dedup_key, table.c.status.in_(ACTIVE)))
    if period:
        conditions.append(sa.and_(table.c.kind == kind, table.c.subject == subject, table.c.period == period))
    if not conditions:
        return None
    row = session.execute(
        sa.select(table.c.id, table.c.run_after).where(sa.or_(*conditions)).order_by(table.c.id).limit(1)
    ).first()
    return StartedJob(row.id, row.run_after, new=False) if row is not None else None


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


def complete(session: Session, job_id: int, worker_id: str, result: dict[str, Any]) -> bool:
    """Mark our running job done with its result (in the caller's transaction, beside the job's audit event)."""
    # Core, not the ORM-enabled UPDATE (with its session synchronisation): that was 4 % of a sync job's CPU.
    table = JobRun.__table__  # type: ignore[attr-defined]
    outcome = session.execute(
        sa.update(table)
        .where(table.c.id == job_id, table.c.lease_owner == worker_id, table.c.status == JobStatus.running)
        .values(status=JobStatus.done, result=result, finished_at=utcnow(), lease_expires_at=None)
    )
    return bool(rowcount(outcome))


def fail(session: Session, job_id: int, worker_id: str, error: str, *, retry_in: float | None = None) -> str:
    """Record a failed attempt: back to the queue after `retry_in` seconds while attempts remain, else `dead`."""
    job = session.get(JobRun, job_id)
    if job is None or job.lease_owner != worker_id or job.status != JobStatus.running:
        return "lost"
    now = utcnow()
    job.error = error[:4000]
    job.lease_expires_at = None
    if retry_in is not None and job.attempts < job.max_attempts:
        job.status = JobStatus.pending
        job.run_after = now + timedelta(seconds=retry_in)
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
