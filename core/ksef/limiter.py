"""The rate limiter, shared by every worker through the database (DESIGN.md §3 E.14), without a write per request.

One budget per (environment, context NIP, endpoint group); sliding windows of 1 s, 1 min and 1 h like KSeF's
(PROTOCOL.md §12.1). A 429 records its Retry-After as `blocked_until` for everyone.

Why leases. The profile of syncing clients one after another (tests/bench/profile_sync.py; 30 clients, 8 requests each)
put about a quarter of a client's CPU in the old design's write transaction before every request (lock the key's row,
count three windows of slots, insert a slot), a quarter in the ORM flushes of the stored pages (now bulk,
core/services/sync/store.py), and on SQLite those per-request transactions also queue every worker thread behind one
writer. Now one process at a time owns a *context's* budget: it takes a lease (`rate_lease`, one short transaction that
also reads the context's limits, blocks and admitted slots of the last hour) and then admits requests from memory.
Admitted slots are written to `rate_slot` in bulk by a background flusher (every `FLUSH_SECONDS`, one transaction for
all contexts of the process), at renewal, with the release and at a normal exit. The owner renews its lease while it
sends and stops admitting `LEASE_MARGIN_SECONDS` before it ends, so every slot it admitted is in the database before
anyone else can own the context; a process that finds the lease taken waits (polling) and starts, once it owns it, from
the same slots. So the guarantee stands — windows shared by all workers per environment, context and group, zero 429 in
steady state — with one write per context per operation (the take, one upsert) instead of one per request: a gateway
releases its context when it closes, and the flusher frees the lease in its next round (at most `FLUSH_SECONDS` later),
so a context moves to another worker right after one job ends there. A killed process loses at most `FLUSH_SECONDS` of
slots; a 429 that may cause blocks the key as before.

Unauthenticated requests are limited per client IP, not per context (`ANONYMOUS_GROUP`, key context ""): every
worker needs that budget at once, so it keeps the per-request transaction (they are rare: authentication only).
"""

from __future__ import annotations

import atexit
import logging
import os
import secrets
import socket
import threading
import time
from bisect import bisect_right
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from core.db import dialect_insert, get_engine, session_scope, write_connection
from core.ksef.errors import KsefFailure
from core.ksef.groups import ANONYMOUS_GROUP, limits_key
from core.models import RateLease, RateLimit, RateSlot
from core.texts import Text
from core.types import ProblemClass, utcnow

log = logging.getLogger(__name__)

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
            statement = dialect_insert(table).values(
                environment=environment, context_nip=context_nip, group=group, updated_at=now, **row
            )
            session.execute(statement.on_conflict_do_update(index_elements=KEY, set_={**row, "updated_at": now}))
    budget = _existing(environment, context_nip)
    if budget is not None:  # a context this process owns counts with the new values at once
        with budget.lock:
            for group, state in budget.groups.items():
                if limits_key(group) in effective:
                    values = effective[limits_key(group)]
                    state.limits = (values["perSecond"], values["perMinute"], values["perHour"])


LEASE_SECONDS = 5.0  # how long one process owns a context without renewing
LEASE_MARGIN_SECONDS = 1.0  # stop admitting this long before the lease ends: the flusher has written the slots by then
RENEW_BEFORE_SECONDS = 2.5  # renew when less than this is left
FLUSH_SECONDS = 0.25
LEASE_POLL_SECONDS = 0.1  # how often a process waiting for another's lease asks again
HOUR = timedelta(seconds=WINDOWS[-1][0] + WINDOWS[-1][2])
OWNER = f"{socket.gethostname()[:50]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass
class _Group:
    """One endpoint group's window state inside an owned context: admitted moments (oldest first)."""

    limits: tuple[int, int, int]
    admitted: deque[datetime] = field(default_factory=deque)
    blocked_until: datetime | None = None

    def wait(self, now: datetime) -> float:
        if self.blocked_until is not None and self.blocked_until > now:
            return (self.blocked_until - now).total_seconds()
        while self.admitted and self.admitted[0] <= now - HOUR:
            self.admitted.popleft()
        wait = 0.0
        for (seconds, _name, margin), limit in zip(WINDOWS, self.limits, strict=True):
            if limit < 0:
                continue
            if limit == 0:
                return seconds
            start = now - timedelta(seconds=seconds + margin)
            if len(self.admitted) - bisect_right(self.admitted, start) >= limit:
                # The limit-th newest moment inside the window: when it leaves the window, one more request fits.
                boundary = self.admitted[len(self.admitted) - limit]
                wait = max(wait, (boundary - start).total_seconds())
        return wait


@dataclass
class _Context:
    """A context's budget in this process: its groups, the slots not yet written, and the lease."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    groups: dict[str, _Group] = field(default_factory=dict)
    unflushed: list[tuple[str, datetime]] = field(default_factory=list)
    lease_until: datetime | None = None

    def owned(self, now: datetime) -> bool:
        return self.lease_until is not None and now < self.lease_until - timedelta(seconds=LEASE_MARGIN_SECONDS)

    def group(self, group: str) -> _Group:
        if group not in self.groups:
            self.groups[group] = _Group(astuple_limits(default_limits(group)))
        return self.groups[group]


def astuple_limits(limits: Limits) -> tuple[int, int, int]:
    return limits.per_second, limits.per_minute, limits.per_hour


_contexts: dict[tuple[Any, ...], _Context] = {}
_contexts_lock = threading.Lock()
_releases: list[tuple[Any, ...]] = []  # (engine id, url, environment, context NIP, the lease's end) to free
_flusher: threading.Thread | None = None


def _engine_key() -> tuple[int, str]:
    """Budgets belong to one database (tests switch databases within a process)."""
    engine = get_engine()
    return id(engine), str(engine.url)


def _existing(environment: str, context_nip: str) -> _Context | None:
    with _contexts_lock:
        return _contexts.get((*_engine_key(), environment, context_nip))


def _context(environment: str, context_nip: str) -> _Context:
    global _flusher
    key = (*_engine_key(), environment, context_nip)
    with _contexts_lock:
        context = _contexts.get(key)
        if context is None:
            context = _contexts[key] = _Context()
        if _flusher is None or not _flusher.is_alive():
            if _flusher is None:  # a process that ends normally writes its last slots and releases first
                atexit.register(_flush_at_exit)
            _flusher = threading.Thread(target=_flush_forever, name="rate-limit-flusher", daemon=True)
            _flusher.start()
    return context


def _slot_rows(environment: str, context_nip: str, moments: list[tuple[str, datetime]]) -> list[dict[str, Any]]:
    return [{"environment": environment, "context_nip": context_nip, "group": g, "at": at} for g, at in moments]


def _flush_forever() -> None:
    while True:
        time.sleep(FLUSH_SECONDS)
        try:
            flush()
        except Exception:  # the next round tries again; a lost round costs at most a 429
            log.warning("rate-limit slots not written yet; trying again", exc_info=True)


def _flush_at_exit() -> None:
    try:
        flush()
    except Exception:  # the leases run out by themselves; the slots' absence costs at most a 429
        log.warning("rate-limit slots not written at exit", exc_info=True)


def flush() -> None:
    """Write every owned context's admitted-but-unwritten slots and free the released leases (current database), in
    one transaction. The releases are taken first: a context released from here on has its slots in this round's
    rows or in the next round, with its release."""
    engine_key = _engine_key()
    with _contexts_lock:
        releases = [r for r in _releases if r[:2] == engine_key]
        _releases[:] = [r for r in _releases if r[:2] != engine_key]
        contexts = [(key, c) for key, c in _contexts.items() if key[:2] == engine_key]
    rows: list[dict[str, Any]] = []
    taken: list[tuple[_Context, list[tuple[str, datetime]]]] = []
    for key, context in contexts:
        with context.lock:
            if context.unflushed:
                moments, context.unflushed = context.unflushed, []
                taken.append((context, moments))
                rows.extend(_slot_rows(key[2], key[3], moments))
    if not rows and not releases:
        return
    leases = RateLease.__table__  # type: ignore[attr-defined]
    try:
        with write_connection() as connection:
            if rows:
                connection.execute(RateSlot.__table__.insert(), rows)  # type: ignore[attr-defined]
            for _engine, _url, environment, context_nip, until in releases:
                connection.execute(  # only the lease we let go: not one this process has taken again since
                    leases.update()
                    .where(leases.c.environment == environment, leases.c.context_nip == context_nip)
                    .where(leases.c.owner == OWNER, leases.c.until == until)
                    .values(owner="", until=None)
                )
    except Exception:
        for context, moments in taken:  # back in line for the next round
            with context.lock:
                context.unflushed[:0] = moments
        with _contexts_lock:
            _releases[:0] = releases
        raise


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
        if group == ANONYMOUS_GROUP or not context_nip:
            return self._try_shared(environment, context_nip, group)
        context = _context(environment, context_nip)
        with context.lock:
            now = utcnow()
            left = (context.lease_until - now).total_seconds() if context.lease_until else 0.0
            if not context.owned(now) or left < RENEW_BEFORE_SECONDS:
                other = self._lease(context, environment, context_nip, now)
                if other > 0:
                    return other
                now = utcnow()
            state = context.group(group)
            wait = state.wait(now)
            if wait <= 0:
                state.admitted.append(now)
                context.unflushed.append((group, now))
            return wait

    def _lease(self, context: _Context, environment: str, context_nip: str, now: datetime) -> float:
        """Take or renew the context's lease (returns 0), or say how long to wait for another process's lease."""
        leases = RateLease.__table__  # type: ignore[attr-defined]
        limits = RateLimit.__table__  # type: ignore[attr-defined]
        slots = RateSlot.__table__  # type: ignore[attr-defined]
        renewing = context.owned(now)
        key = (leases.c.environment == environment, leases.c.context_nip == context_nip)
        until = now + timedelta(seconds=LEASE_SECONDS)
        with write_connection() as connection:
            # One statement takes the lease when it is free, ours or run out; it leaves another owner's alone.
            taken = connection.execute(
                dialect_insert(leases)
                .values(environment=environment, context_nip=context_nip, owner=OWNER, until=until)
                .on_conflict_do_update(
                    index_elements=["environment", "context_nip"],
                    set_={"owner": OWNER, "until": until},
                    where=sa.or_(leases.c.owner.in_(("", OWNER)), leases.c.until.is_(None), leases.c.until <= now),
                )
                .returning(leases.c.owner)
            ).first()
            if taken is None:
                other = connection.execute(sa.select(leases.c.until).where(*key)).scalar()
                context.lease_until = None
                left = (other - now).total_seconds() if other is not None else LEASE_POLL_SECONDS
                return float(min(LEASE_POLL_SECONDS, max(0.001, left)))  # never 0: that would mean admitted
            if context.unflushed:  # ours, written before anyone else can count them
                connection.execute(slots.insert(), _slot_rows(environment, context_nip, context.unflushed))
                context.unflushed = []
            rows = connection.execute(
                sa.select(limits).where(limits.c.environment == environment, limits.c.context_nip == context_nip)
            ).all()
            if not renewing:  # a new lease: start from everyone's slots of the last hour
                context.groups = {}
                for group, at in connection.execute(
                    sa.select(slots.c.group, slots.c.at)
                    .where(slots.c.environment == environment, slots.c.context_nip == context_nip)
                    .where(slots.c.at > now - HOUR)
                    .order_by(slots.c.at)
                ):
                    context.group(group).admitted.append(at)
            for row in rows:
                state = context.group(row.group)
                state.limits, state.blocked_until = (row.per_second, row.per_minute, row.per_hour), row.blocked_until
            context.lease_until = until
        return 0.0

    def release(self, environment: str, context_nip: str) -> None:
        """Hand a context back: this process stops admitting at once, and the flusher's next round (at most
        `FLUSH_SECONDS` later) writes its slots and frees the lease in the transaction it writes anyway, instead of
        one transaction per operation (a fleet sync ends one every few milliseconds)."""
        context = _existing(environment, context_nip)
        if context is None:
            return
        with context.lock:
            if context.lease_until is None:
                return
            until, context.lease_until = context.lease_until, None
        with _contexts_lock:
            _releases.append((*_engine_key(), environment, context_nip, until))

    def _try_shared(self, environment: str, context_nip: str, group: str) -> float:
        """The per-IP budget of unauthenticated calls: one write transaction per request (see the docstring)."""
        now = utcnow()
        table = RateLimit.__table__  # type: ignore[attr-defined]
        key = (table.c.environment == environment, table.c.context_nip == context_nip, table.c.group == group)
        with write_connection() as connection:
            connection.execute(_new_key(environment, context_nip, group).on_conflict_do_nothing(index_elements=KEY))
            row = connection.execute(sa.select(table).where(*key).with_for_update()).one()
            if row.blocked_until is not None and row.blocked_until > now:
                return float((row.blocked_until - now).total_seconds())
            slots = RateSlot.__table__  # type: ignore[attr-defined]
            state = _Group((row.per_second, row.per_minute, row.per_hour))
            state.admitted = deque(
                connection.execute(
                    sa.select(slots.c.at)
                    .where(slots.c.environment == environment, slots.c.context_nip == context_nip)
                    .where(slots.c.group == group, slots.c.at > now - timedelta(seconds=_widest(state.limits)))
                    .order_by(slots.c.at)
                ).scalars()
            )
            wait = state.wait(now)
            if wait <= 0:
                connection.execute(slots.insert().values(_slot_rows(environment, context_nip, [(group, now)])))
            return wait

    def block(self, environment: str, context_nip: str, group: str, seconds: float) -> None:
        """Honour a 429's Retry-After for every process using this key."""
        until = utcnow() + timedelta(seconds=seconds)
        context = _existing(environment, context_nip)
        if context is not None:
            with context.lock:
                context.group(group).blocked_until = until
        statement = _new_key(environment, context_nip, group, blocked_until=until)
        with write_connection() as connection:
            connection.execute(statement.on_conflict_do_update(index_elements=KEY, set_={"blocked_until": until}))


def _widest(limits: tuple[int, int, int]) -> float:
    """The longest window that limits anything (with its margin): older slots cannot matter."""
    for (seconds, _name, margin), limit in reversed(list(zip(WINDOWS, limits, strict=True))):
        if limit >= 0:
            return seconds + margin
    return 0.0


KEY = ["environment", "context_nip", "group"]


def _new_key(environment: str, context_nip: str, group: str, **values: Any) -> Any:
    """An INSERT of a key's row with the default limits (GET /rate-limits overwrites them when read)."""
    defaults = default_limits(group)
    return dialect_insert(RateLimit.__table__).values(  # type: ignore[attr-defined]
        environment=environment,
        context_nip=context_nip,
        group=group,
        per_second=defaults.per_second,
        per_minute=defaults.per_minute,
        per_hour=defaults.per_hour,
        updated_at=utcnow(),
        **values,
    )
