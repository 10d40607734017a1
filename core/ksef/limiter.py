"""The rate limiter, shared by every worker through the database (DESIGN.md §3 E.14).

One key per (environment, context NIP, endpoint group); sliding windows of 1 s, 1 min and 1 h like KSeF's
(PROTOCOL.md §12.1). Admitting a request is one short write transaction: lock the key's `rate_limit` row (FOR UPDATE
on PostgreSQL; BEGIN IMMEDIATE on SQLite), count the admitted requests in each window, and either record a new slot or
compute how long to wait. A 429 records its Retry-After as `blocked_until` for everyone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from core.db import get_engine, session_scope, write_connection
from core.ksef.errors import KsefFailure
from core.ksef.groups import ANONYMOUS_GROUP, limits_key
from core.models import RateLimit, RateSlot
from core.texts import Text
from core.types import ProblemClass, utcnow

# Production values (PROTOCOL.md §12.1) until GET /rate-limits tells us the effective ones.
DEFAULT_LIMITS: dict[str, tuple[int, int, int]] = {
    ANONYMOUS_GROUP: (60, -1, -1),
    "onlineSession": (10, 30, 120),
    "onlineSessionClose": (10, 30, 120),
    "invoiceSend": (10, 30, 180),
    "batchSession": (10, 20, 60),
    "batchSessionClose": (10, 20, 60),
    "invoiceStatus": (30, 120, 1200),
    "sessionList": (5, 10, 60),
    "sessionInvoiceList": (10, 20, 200),
    "sessionMisc": (10, 120, 1200),
    "invoiceMetadata": (8, 16, 20),
    "invoiceExport": (8, 16, 20),
    "invoiceExportStatus": (10, 60, 600),
    "invoiceDownload": (8, 16, 64),
    "collectiveIdentifier": (10, 60, 120),
    "other": (10, 30, 120),
}
# (window, column, margin). Our clock stamps a request when it leaves, KSeF's when it arrives; the margin absorbs
# the jitter between the two (a busy machine can hold a request back a few hundred milliseconds).
WINDOWS = ((1.0, "per_second", 0.25), (60.0, "per_minute", 0.5), (3600.0, "per_hour", 1.0))


# A worker thread waits at most this long for a slot; beyond it the job goes back to the queue until then.
MAX_WAIT_SECONDS = 120.0


class RateLimitWaitTooLong(KsefFailure):
    """Our own limiter would make a worker wait too long: a rate-limited failure, retried after `wait`."""

    def __init__(self, wait: float) -> None:
        super().__init__(ProblemClass.rate_limited, Text("ksef.rate_limit_wait", seconds=wait), retry_after=wait)
        self.wait = wait


@dataclass(frozen=True)
class Limits:
    per_second: int
    per_minute: int
    per_hour: int


def default_limits(group: str) -> Limits:
    return Limits(*DEFAULT_LIMITS.get(limits_key(group), DEFAULT_LIMITS["other"]))


def _insert(table: Any) -> Any:
    return postgresql.insert(table) if get_engine().dialect.name == "postgresql" else sqlite.insert(table)


def store_limits(environment: str, context_nip: str, effective: dict[str, dict[str, int]]) -> None:
    """Save the values of GET /rate-limits for a context; `other:*` keys inherit the `other` values."""
    now = utcnow()
    table = RateLimit.__table__  # type: ignore[attr-defined]
    with session_scope(write=True) as session:
        existing = session.execute(
            sa.select(table.c.group).where(table.c.environment == environment, table.c.context_nip == context_nip)
        ).scalars()
        groups = set(effective) | {g for g in existing if limits_key(g) in effective}
        for group in groups:
            values = effective[limits_key(group)]
            row = {"per_second": values["perSecond"], "per_minute": values["perMinute"], "per_hour": values["perHour"]}
            statement = _insert(table).values(
                environment=environment, context_nip=context_nip, group=group, updated_at=now, **row
            )
            session.execute(statement.on_conflict_do_update(index_elements=KEY, set_={**row, "updated_at": now}))


class RateLimiter:
    def __init__(self, *, max_wait: float = MAX_WAIT_SECONDS) -> None:
        self.max_wait = max_wait

    def acquire(self, environment: str, context_nip: str, group: str) -> float:
        """Block until the request may go; returns the seconds waited."""
        waited = 0.0
        while True:
            wait = self.try_acquire(environment, context_nip, group)
            if wait <= 0:
                return waited
            if waited + wait > self.max_wait:
                raise RateLimitWaitTooLong(wait)
            time.sleep(wait)
            waited += wait

    def try_acquire(self, environment: str, context_nip: str, group: str) -> float:
        """Admit now (returns 0) or say how many seconds to wait."""
        now = utcnow()
        table = RateLimit.__table__  # type: ignore[attr-defined]
        key = (table.c.environment == environment, table.c.context_nip == context_nip, table.c.group == group)
        # Core, not the ORM: this runs before every single request to KSeF.
        with write_connection() as connection:
            connection.execute(_new_key(environment, context_nip, group).on_conflict_do_nothing(index_elements=KEY))
            row = connection.execute(sa.select(table).where(*key).with_for_update()).one()
            if row.blocked_until is not None and row.blocked_until > now:
                return float((row.blocked_until - now).total_seconds())
            wait = self._wait_for_windows(connection, environment, context_nip, group, row, now)
            if wait <= 0:
                slots = RateSlot.__table__  # type: ignore[attr-defined]
                connection.execute(
                    slots.insert().values(environment=environment, context_nip=context_nip, group=group, at=now)
                )
            return wait

    def _wait_for_windows(
        self, session: Any, environment: str, context_nip: str, group: str, row: Any, now: Any
    ) -> float:
        slots = RateSlot.__table__  # type: ignore[attr-defined]
        same_key = (slots.c.environment == environment, slots.c.context_nip == context_nip, slots.c.group == group)
        # (window seconds, limit, start of the window); -1 means no limit in that window.
        windows = [
            (seconds, getattr(row, name), now - timedelta(seconds=seconds + margin))
            for seconds, name, margin in WINDOWS
            if getattr(row, name) >= 0
        ]
        if not windows:
            return 0.0
        # One aggregate for every window; the boundary query runs only for a window that is full.
        starts = [start for _seconds, _limit, start in windows]
        counts = session.execute(
            sa.select(*(sa.func.count().filter(slots.c.at > start) for start in starts)).where(
                *same_key, slots.c.at > min(starts)
            )
        ).one()
        wait = 0.0
        for (seconds, limit, start), count in zip(windows, counts, strict=True):
            if count < limit:
                continue
            if limit == 0:
                return seconds
            # The limit-th newest slot inside the window: when it leaves the window, one more request fits.
            boundary = session.execute(
                sa.select(slots.c.at)
                .where(*same_key, slots.c.at > start)
                .order_by(slots.c.at.desc())
                .offset(limit - 1)
                .limit(1)
            ).scalar()
            if boundary is not None:
                wait = max(wait, (boundary - start).total_seconds())
        return wait

    def block(self, environment: str, context_nip: str, group: str, seconds: float) -> None:
        """Honour a 429's Retry-After for every process using this key."""
        until = utcnow() + timedelta(seconds=seconds)
        statement = _new_key(environment, context_nip, group, blocked_until=until)
        with write_connection() as connection:
            connection.execute(statement.on_conflict_do_update(index_elements=KEY, set_={"blocked_until": until}))


KEY = ["environment", "context_nip", "group"]


def _new_key(environment: str, context_nip: str, group: str, **values: Any) -> Any:
    """An INSERT of a key's row with the default limits (GET /rate-limits overwrites them when read)."""
    defaults = default_limits(group)
    return _insert(RateLimit.__table__).values(  # type: ignore[attr-defined]
        environment=environment,
        context_nip=context_nip,
        group=group,
        per_second=defaults.per_second,
        per_minute=defaults.per_minute,
        per_hour=defaults.per_hour,
        updated_at=utcnow(),
        **values,
    )
