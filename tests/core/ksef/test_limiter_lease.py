"""The limiter's per-context lease: requests are admitted from memory (no write per request), the slots reach the
database in bulk, and a context owned by another process is waited for and then continued from its slots."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa

from core import db
from core.ksef import limiter
from core.ksef.limiter import RateLimiter, store_limits
from core.models import RateLease, RateSlot
from core.types import utcnow

NIP = "3333333333"


def _commits() -> list[int]:
    """Commits made by this thread (the background flusher's bulk writes are the design, and come when they come)."""
    counter, me = [0], threading.get_ident()

    def count(_connection: object) -> None:
        if threading.get_ident() == me:
            counter[0] += 1

    sa.event.listen(db.get_engine(), "commit", count)
    return counter


def _slots(group: str = "invoiceDownload") -> int:
    with db.session_scope() as session:
        query = sa.select(sa.func.count()).where(RateSlot.context_nip == NIP, RateSlot.group == group)
        return session.execute(query).scalar_one()


def test_requests_are_admitted_from_memory_and_written_in_bulk(any_db):
    store_limits("SIM", NIP, {"invoiceDownload": {"perSecond": 100, "perMinute": 1000, "perHour": 1000}})
    commits = _commits()
    gate = RateLimiter()
    assert all(gate.try_acquire("SIM", NIP, "invoiceDownload") == 0 for _ in range(50))
    assert commits[0] <= 1  # the lease, once; never one per request
    limiter.flush()
    assert _slots() == 50
    gate.release("SIM", NIP)
    limiter.flush()
    assert _owner() == ""


def _owner() -> str:
    with db.session_scope() as session:
        return session.execute(sa.select(RateLease.owner).where(RateLease.context_nip == NIP)).scalar_one()


def test_a_release_frees_the_lease_with_the_flush_but_never_a_lease_taken_again(any_db):
    gate = RateLimiter()
    assert gate.try_acquire("SIM", NIP, "invoiceDownload") == 0
    gate.release("SIM", NIP)
    assert gate.try_acquire("SIM", NIP, "invoiceDownload") == 0  # this process takes the context again at once
    limiter.flush()
    assert _owner() == limiter.OWNER  # the earlier release does not free the lease taken since
    gate.release("SIM", NIP)
    limiter.flush()
    assert _owner() == ""


def test_a_context_owned_elsewhere_is_waited_for_then_continued_from_its_slots(any_db):
    store_limits("SIM", NIP, {"invoiceDownload": {"perSecond": 3, "perMinute": 1000, "perHour": 1000}})
    now = utcnow()
    with db.session_scope(write=True) as session:  # another worker owns the context and admitted three requests
        session.add(RateLease(environment="SIM", context_nip=NIP, owner="other:1", until=now + timedelta(seconds=5)))
        for _ in range(3):
            session.add(RateSlot(environment="SIM", context_nip=NIP, group="invoiceDownload", at=now))
    gate = RateLimiter()
    assert 0 < gate.try_acquire("SIM", NIP, "invoiceDownload") <= limiter.LEASE_POLL_SECONDS
    with db.session_scope(write=True) as session:  # its lease ends (released or expired)
        session.execute(sa.update(RateLease).values(until=now - timedelta(seconds=1)))
    wait = gate.try_acquire("SIM", NIP, "invoiceDownload")
    assert wait > 0.5  # its three requests of this second still count here
    assert gate.try_acquire("SIM", "4444444444", "invoiceDownload") == 0  # another context is free
