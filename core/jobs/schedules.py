"""Functions the scheduler calls. Each only enqueues jobs (idempotent per period) and returns quickly.

Scheduled jobs run as a system actor of their office (office-less upkeep runs as no one); starting them is not
audited, it is the schedule's routine, but what they change is.

Syncs are staggered: every client has its own phase within the interval, so the fleet's work is spread evenly and
each client is synced exactly once per interval (the job's period is the interval number).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import col, func, select

from core.db import session_scope
from core.jobs.kinds import (
    AVAILABILITY_PROBE,
    CERTIFICATE_SCAN,
    HOUSEKEEPING,
    LINK_HEALTH,
    LINK_VERIFY,
    NOTIFICATIONS,
    SYNC,
    TOKEN_REFRESH,
    USAGE_ROLLUP,
    LinkVerifyPayload,
    NoPayload,
    OfficePayload,
    SyncPayload,
)
from core.jobs.queue import ACTIVE, start_job
from core.jobs.spec import TRANSIENT, JobSpec
from core.models import JobRun, Office, Problem, SyncState
from core.security import Actor
from core.services.linking.status import syncable_clients
from core.services.sync.request import MIN_INTERVAL
from core.types import ProblemStatus, utcnow

LINK_OPERATION = "link"  # core.services.linking.links.OPERATION
LINK_RETRY_CAP = timedelta(hours=1)


def period_slot(minutes: int) -> str:
    """A label for the current slot of `minutes`, so a schedule firing twice enqueues once."""
    now = utcnow()
    slot = now.replace(minute=now.minute - now.minute % minutes, second=0, microsecond=0)
    return slot.strftime("%Y-%m-%dT%H:%M")


def phase_seconds(client_id: int, interval: timedelta) -> int:
    # A multiplicative hash spreads consecutive ids across the whole interval.
    return (client_id * 2_654_435_761) % int(interval.total_seconds())


def due_slot(client_id: int, interval: timedelta, now: datetime) -> tuple[int, datetime]:
    """(interval number, its start) of the client's sync that is due at `now`."""
    seconds = int(interval.total_seconds())
    phase = phase_seconds(client_id, interval)
    number = (int(now.timestamp()) - phase) // seconds
    return number, datetime.fromtimestamp(number * seconds + phase, tz=UTC)


def _system(office_id: int) -> Actor:
    return Actor.system("scheduler", office_id)


def enqueue_housekeeping() -> None:
    with session_scope(write=True) as session:
        start_job(session, None, HOUSEKEEPING, NoPayload(), period=period_slot(5))


def enqueue_due_syncs() -> int:
    """Queue every syncable client's sync of its current slot, and a retry for one whose last sync failed for a
    reason that passes by itself (its job died after its own retries): the schedule never drops a client."""
    now = utcnow()
    count = 0
    with session_scope(write=True) as session:
        offices = {o.id: o for o in session.exec(select(Office)).all()}
        rows = syncable_clients(session)
        backfilling = set(session.exec(select(SyncState.client_id).where(col(SyncState.hwm).is_(None))).all())
        started = set(session.exec(select(SyncState.client_id)).all())
        failing = {
            client_id: (failures, last_run)
            for client_id, failures, last_run in session.exec(
                select(SyncState.client_id, func.max(SyncState.consecutive_failures), func.max(SyncState.last_run_at))
                .where(SyncState.consecutive_failures > 0)
                .group_by(col(SyncState.client_id))
            ).all()
        }
        for client_id, office_id in rows:
            office = offices[office_id]
            interval = max(MIN_INTERVAL, timedelta(minutes=office.sync_interval_minutes))
            number, start = due_slot(client_id, interval, now)
            # The first history backfill can wait when the package is exhausted; regular syncs cannot.
            urgent = client_id in started and client_id not in backfilling
            job = start_job(
                session, _system(office_id), SYNC, SyncPayload(client_id=client_id), subject=f"client:{client_id}",
                period=f"slot:{number}", run_after=start, urgent=urgent,
            )  # fmt: skip
            count += 1
            if client_id in failing and not job.new:
                failures, last_run = failing[client_id]
                start_job(
                    session, _system(office_id), SYNC, SyncPayload(client_id=client_id),
                    subject=f"client:{client_id}", period=f"retry:{number}:{failures}",
                    run_after=(last_run or now) + retry_delay(failures, interval), urgent=urgent,
                )  # fmt: skip
    return count


def retry_delay(failures: int, interval: timedelta) -> timedelta:
    """30 s, 1 min, 2 min … after the n-th failure in a row, never longer than the interval; with jitter, so a fleet
    that failed together (an outage) does not come back at once."""
    nominal = min(interval.total_seconds(), 30.0 * 2.0 ** max(0, failures - 1))
    return timedelta(seconds=nominal * random.uniform(0.8, 1.2))


def _office_job(spec: JobSpec[OfficePayload, Any], minutes: int) -> None:
    with session_scope(write=True) as session:
        for office_id in session.exec(select(Office.id)).all():
            assert office_id is not None
            start_job(
                session,
                _system(office_id),
                spec,
                OfficePayload(office_id=office_id),
                subject=f"office:{office_id}",
                period=period_slot(minutes),
            )


def enqueue_token_refresh() -> None:
    _office_job(TOKEN_REFRESH, 5)


def enqueue_certificate_scan() -> None:
    _office_job(CERTIFICATE_SCAN, 60)


def enqueue_link_health() -> None:
    _office_job(LINK_HEALTH, 60)


def enqueue_link_retries() -> int:
    """A link check that failed for a reason that passes by itself (network, KSeF down or busy) is tried again with
    backoff — 30 s, 1 min, 2 min … at most an hour apart — instead of waiting for the hourly health check."""
    now = utcnow()
    with session_scope(write=True) as session:
        rows = session.exec(
            select(Problem.office_id, Problem.client_id, Problem.occurrences, Problem.last_seen_at).where(
                Problem.status == ProblemStatus.open,
                Problem.operation == LINK_OPERATION,
                col(Problem.problem_class).in_(TRANSIENT),
                col(Problem.client_id).is_not(None),
            )
        ).all()
        due: dict[int, set[int]] = {}
        for office_id, client_id, occurrences, last_seen in rows:
            if client_id is not None and last_seen + retry_delay(occurrences, LINK_RETRY_CAP) <= now:
                due.setdefault(office_id, set()).add(client_id)
        for office_id, client_ids in due.items():
            subject = f"office:{office_id}:link_retry"
            waiting = session.exec(
                select(JobRun.id).where(JobRun.subject == subject, col(JobRun.status).in_(ACTIVE))
            ).first()
            if waiting is None:  # one retry at a time per office; its outcome moves `last_seen_at` on
                start_job(
                    session, _system(office_id), LINK_VERIFY, LinkVerifyPayload(client_ids=tuple(sorted(client_ids))),
                    subject=subject, period=period_slot(1),
                )  # fmt: skip
    return sum(len(ids) for ids in due.values())


def enqueue_availability_probe() -> None:
    with session_scope(write=True) as session:
        start_job(session, None, AVAILABILITY_PROBE, NoPayload(), period=period_slot(5))


def enqueue_usage_rollup() -> None:
    with session_scope(write=True) as session:
        start_job(session, None, USAGE_ROLLUP, NoPayload(), period=period_slot(1))


def enqueue_notifications() -> None:
    _office_job(NOTIFICATIONS, 5)
