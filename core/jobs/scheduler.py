"""When things happen. APScheduler 3.11 only enqueues jobs; workers run them.

Exactly one scheduler runs however many workers start: on PostgreSQL the elected worker holds a session-level
advisory lock on a dedicated connection; on SQLite it holds a lease row that it renews and others take over when
it lapses. Scheduled functions are referenced by text and carry no arguments (nothing secret is ever pickled).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.dialects import sqlite

from core.db import get_engine, session_scope
from core.models import SchedulerLease
from core.types import utcnow

log = logging.getLogger("ksef_console.scheduler")
LEASE_NAME = "scheduler"
LEASE_SECONDS = 30
ADVISORY_LOCK_KEY = 0x4B534546  # "KSEF"

# (id, "module:function", trigger, trigger arguments); later issues add their schedules here.
SCHEDULE: list[tuple[str, str, str, dict[str, Any]]] = [
    ("housekeeping", "core.jobs.schedules:enqueue_housekeeping", "interval", {"minutes": 5}),
    ("sync_due", "core.jobs.schedules:enqueue_due_syncs", "interval", {"minutes": 1}),
    ("token_refresh", "core.jobs.schedules:enqueue_token_refresh", "interval", {"minutes": 5}),
    ("certificate_scan", "core.jobs.schedules:enqueue_certificate_scan", "interval", {"hours": 1}),
    ("link_health", "core.jobs.schedules:enqueue_link_health", "interval", {"hours": 1}),
    ("link_retries", "core.jobs.schedules:enqueue_link_retries", "interval", {"minutes": 1}),
    ("availability_probe", "core.jobs.schedules:enqueue_availability_probe", "interval", {"minutes": 5}),
    ("usage_rollup", "core.jobs.schedules:enqueue_usage_rollup", "interval", {"minutes": 1}),
    ("notifications", "core.jobs.schedules:enqueue_notifications", "interval", {"minutes": 5}),
]


class LeaderElection:
    def __init__(self, owner: str) -> None:
        self.owner = owner
        self._pg_connection: sa.Connection | None = None

    def try_lead(self) -> bool:
        if get_engine().dialect.name == "postgresql":
            return self._try_advisory_lock()
        return self._try_lease()

    def release(self) -> None:
        if self._pg_connection is not None:
            self._pg_connection.close()  # ends the session, which frees the advisory lock
            self._pg_connection = None
            return
        with session_scope(write=True) as session:
            session.execute(
                sa.delete(SchedulerLease).where(
                    SchedulerLease.name == LEASE_NAME,  # type: ignore[arg-type]
                    SchedulerLease.owner == self.owner,  # type: ignore[arg-type]
                )
            )

    def _try_advisory_lock(self) -> bool:
        if self._pg_connection is not None:
            try:
                self._pg_connection.execute(sa.text("SELECT 1"))
                return True
            except sa.exc.DBAPIError:
                self._pg_connection = None  # the connection died and took the lock with it
        connection = get_engine().connect()
        got = connection.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}).scalar()
        connection.commit()
        if got:
            self._pg_connection = connection
            return True
        connection.close()
        return False

    def _try_lease(self) -> bool:
        now = utcnow()
        table = SchedulerLease.__table__  # type: ignore[attr-defined]
        statement = (
            sqlite.insert(table)
            .values(name=LEASE_NAME, owner=self.owner, expires_at=now + timedelta(seconds=LEASE_SECONDS))
            .on_conflict_do_update(
                index_elements=["name"],
                set_={"owner": self.owner, "expires_at": now + timedelta(seconds=LEASE_SECONDS)},
                where=sa.or_(table.c.owner == self.owner, table.c.expires_at < now),
            )
        )
        with session_scope(write=True) as session:
            session.execute(statement)
            holder = session.execute(sa.select(table.c.owner).where(table.c.name == LEASE_NAME)).scalar()
        return holder == self.owner


class SchedulerSupervisor:
    """Called from the worker's loop: keeps the election fresh and the scheduler running only while leading."""

    def __init__(self, owner: str, *, check_every: float = 10.0) -> None:
        self.election = LeaderElection(owner)
        self.check_every = check_every
        self.scheduler: BackgroundScheduler | None = None
        self._last_check = 0.0

    def tick(self) -> None:
        import time

        if time.monotonic() - self._last_check < self.check_every:
            return
        self._last_check = time.monotonic()
        leading = self.election.try_lead()
        if leading and self.scheduler is None:
            log.info("this worker now runs the schedule")
            self.scheduler = build_scheduler()
            self.scheduler.start()
        elif not leading and self.scheduler is not None:
            log.info("another worker runs the schedule now")
            self.scheduler.shutdown(wait=False)
            self.scheduler = None

    def shutdown(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        self.election.release()


def build_scheduler() -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    for job_id, function, trigger, arguments in SCHEDULE:
        # next_run_time=now: a freshly elected scheduler catches up at once instead of after a full interval.
        scheduler.add_job(function, trigger, id=job_id, replace_existing=True, next_run_time=utcnow(), **arguments)
    return scheduler
