"""What a page may read about a job: its progress and outcome, never its payload (it can hold an uploaded file)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import defer
from sqlmodel import col, select

from core.db import session_scope
from core.errors import NotFound
from core.models import JobRun
from core.security import Actor, Permission
from core.texts import Text
from core.types import JobStatus

FINISHED = frozenset({JobStatus.done, JobStatus.dead, JobStatus.cancelled})


@dataclass(frozen=True)
class JobProgress:
    id: int
    kind: str
    subject: str
    status: str
    done: int
    total: int
    result: dict[str, Any]
    error: str

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


def job_progress(*, actor: Actor, job_id: int) -> JobProgress:
    """Progress of one of the actor's office's jobs (a job id from another office reads as not found)."""
    actor.require(Permission.view)
    query = (
        select(JobRun)
        .options(defer(JobRun.payload))  # type: ignore[arg-type]
        .where(col(JobRun.id) == job_id, col(JobRun.office_id) == actor.office_id)
    )
    with session_scope() as session:
        job = session.exec(query).first()
    if job is None or job.id is None:
        raise NotFound(Text("job.not_found", id=job_id))
    return JobProgress(
        id=job.id,
        kind=job.kind,
        subject=job.subject,
        status=job.status,
        done=job.progress_done,
        total=job.progress_total,
        result=dict(job.result or {}),
        error=job.error,
    )
