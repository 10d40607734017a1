"""What a page may read about a job: its progress and outcome, never its payload (it can hold an uploaded file).

The outcome is read back as the result type the job's kind declares (core.jobs.kinds), here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar, overload

from sqlalchemy.orm import defer
from sqlmodel import col, select

from core import audit
from core.db import session_scope
from core.errors import NotFound
from core.jobs.kinds import SPECS
from core.models import JobRun
from core.security import Actor, Permission
from core.services.scope import is_id
from core.texts import Text
from core.types import JobStatus, utcnow

FINISHED = frozenset({JobStatus.done, JobStatus.dead, JobStatus.cancelled})
R = TypeVar("R")


@dataclass(frozen=True)
class JobProgress(Generic[R]):
    id: int
    kind: str
    subject: str
    status: str
    done: int
    total: int
    result: R | None  # the declared result (partial while the job runs); None until there is one
    error: str
    run_after: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def waiting_for_retry(self) -> bool:
        """An attempt failed and the job waits for its next one (at `run_after`), not for a worker."""
        return self.status == JobStatus.pending and bool(self.error)


@overload
def job_progress(*, actor: Actor, job_id: int, result: type[R]) -> JobProgress[R]: ...
@overload
def job_progress(*, actor: Actor, job_id: int, result: None = None) -> JobProgress[Any]: ...
def job_progress(*, actor: Actor, job_id: int, result: type[Any] | None = None) -> JobProgress[Any]:
    """Progress of one of the actor's office's jobs (a job id from another office reads as not found). With
    `result`, the job must be of a kind that yields that type (else not found too)."""
    actor.require(Permission.view)
    if not is_id(job_id):
        raise NotFound(Text("job.not_found", id=job_id))
    query = (
        select(JobRun)
        .options(defer(JobRun.payload))  # type: ignore[arg-type]
        .where(col(JobRun.id) == job_id, col(JobRun.office_id) == actor.office_id)
    )
    with session_scope() as session:
        job = session.exec(query).first()
    spec = SPECS.get(job.kind) if job is not None else None
    if job is None or job.id is None or spec is None or (result is not None and spec.result is not result):
        raise NotFound(Text("job.not_found", id=job_id))
    return JobProgress(
        id=job.id,
        kind=job.kind,
        subject=job.subject,
        status=job.status,
        done=job.progress_done,
        total=job.progress_total,
        result=spec.read_result(job.result),
        error=job.error,
        run_after=job.run_after,
    )


def run_job_now(*, actor: Actor, job_id: int) -> bool:
    """ "Spróbuj teraz": a job waiting for its retry (or its time) runs at once; False when it no longer waits."""
    actor.require(Permission.run_operations)
    with session_scope(write=True) as session:
        job = session.get(JobRun, job_id)
        if job is None or job.office_id != actor.office_id:
            raise NotFound(Text("job.not_found", id=job_id))
        if job.status != JobStatus.pending:
            return False
        job.run_after = utcnow()
        session.add(job)
        audit.record(session, actor, "job.run_now", f"job:{job_id}", kind=job.kind)
    return True
