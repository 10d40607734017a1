"""Binding task bodies to job kinds, and what a body gets: a typed JobContext with its typed payload."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic

from core.errors import ServiceError
from core.jobs import queue
from core.jobs.queue import ClaimedJob
from core.jobs.spec import JobSpec, P, R, to_json
from core.ksef.errors import KsefFailure
from core.security import Actor
from core.types import ProblemClass


class JobFailed(Exception):
    """The worker refuses to run a job (its user is gone, lost the role, or it names no office): no retry."""


@dataclass
class JobContext(Generic[P]):
    job: ClaimedJob
    spec: JobSpec[P, Any]
    payload: P
    worker_id: str
    acting: Actor | None  # checked by the worker before the body runs; None only for office-less upkeep
    _last_progress: float = field(default=0.0, repr=False)

    @property
    def actor(self) -> Actor:
        """The user who asked for the job (re-checked when it runs), or a system actor for scheduled work."""
        if self.acting is None:
            raise JobFailed("Zadanie nie wskazuje biura.")
        return self.acting

    def progress(self, done: int, total: int, *, force: bool = False, result: Any = None) -> None:
        """Report progress (and the partial result), at most a few times a second, always for the last step."""
        now = time.monotonic()
        if force or done >= total or now - self._last_progress > 0.3:
            queue.set_progress(self.job.id, done, total, None if result is None else to_json(result))
            self._last_progress = now


def failure_class(error: BaseException) -> ProblemClass | None:
    """The failure class the retry policy looks at; None for failures no retry can fix (refusals, bad input)."""
    if isinstance(error, KsefFailure):
        return error.problem_class
    if isinstance(error, ServiceError | JobFailed):
        return None
    return ProblemClass.internal  # a bug or an unexpected error


@dataclass(frozen=True)
class Task(Generic[P]):
    spec: JobSpec[P, Any]
    body: Callable[[JobContext[P]], Any]
    # Called once the job is dead (refused, failed for good, out of attempts), so its work never stays half-done.
    on_dead: Callable[[Actor, P, str], None] | None = None


TASKS: dict[str, Task[Any]] = {}


def task(
    spec: JobSpec[P, R], *, on_dead: Callable[[Actor, P, str], None] | None = None
) -> Callable[[Callable[[JobContext[P]], R]], Callable[[JobContext[P]], R]]:
    """Bind a body to a kind: `@task(kinds.SYNC) def sync(context: JobContext[SyncPayload]) -> SyncResult`."""

    def bind(body: Callable[[JobContext[P]], R]) -> Callable[[JobContext[P]], R]:
        TASKS[spec.kind] = Task(spec, body, on_dead)
        return body

    return bind
