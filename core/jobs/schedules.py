"""Functions the scheduler calls. Each only enqueues jobs (idempotent per period) and returns quickly."""

from __future__ import annotations

from core.jobs import queue
from core.types import utcnow


def period_slot(minutes: int) -> str:
    """A label for the current slot of `minutes`, so a schedule firing twice enqueues once."""
    now = utcnow()
    slot = now.replace(minute=now.minute - now.minute % minutes, second=0, microsecond=0)
    return slot.strftime("%Y-%m-%dT%H:%M")


def enqueue_housekeeping() -> None:
    queue.enqueue("housekeeping", period=period_slot(5), max_attempts=1)
