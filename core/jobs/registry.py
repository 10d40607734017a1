"""Task kinds and what runs them. A task gets a JobContext and returns a JSON-able result."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.jobs import queue
from core.jobs.queue import ClaimedJob
from core.security import Actor

TaskFunction = Callable[["JobContext"], dict[str, Any] | None]
TASKS: dict[str, TaskFunction] = {}


class RetryLater(Exception):
    """A passing failure (network, 429, KSeF unavailable): the job goes back to the queue."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class JobFailed(Exception):
    """A failure retrying will not fix: the job is buried as dead with this message."""


def task(kind: str) -> Callable[[TaskFunction], TaskFunction]:
    def register(function: TaskFunction) -> TaskFunction:
        TASKS[kind] = function
        return function

    return register


@dataclass
class JobContext:
    job: ClaimedJob
    worker_id: str
    _last_progress: float = field(default=0.0, repr=False)

    @property
    def payload(self) -> dict[str, Any]:
        return self.job.payload

    @property
    def actor(self) -> Actor:
        """The user who asked for the job, or the worker itself for scheduled work."""
        from core.services.users import actor_for

        if self.job.created_by is not None:
            actor = actor_for(self.job.created_by)
            if actor is not None:
                return actor
        if self.job.office_id is None:
            raise JobFailed("zadanie nie wskazuje biura")
        return Actor.system("worker", self.job.office_id)

    def progress(self, done: int, total: int, *, force: bool = False, result: dict[str, Any] | None = None) -> None:
        """Report progress (and partial results), at most a few times a second, always for the last step."""
        now = time.monotonic()
        if force or done >= total or now - self._last_progress > 0.3:
            queue.set_progress(self.job.id, done, total, result)
            self._last_progress = now
