"""Following a queued job: a progress bar that polls the job in a fragment until the job ends.

Only the fragment re-runs while the job works; when the job ends it re-runs the whole page once, so the page draws
the outcome (and fresh data) in an ordinary run. AppTest does not fire fragment timers: tests drain the queue and
re-run the app, which takes the same "finished" path.
"""

from __future__ import annotations

from typing import Any, TypeVar

import streamlit as st

from core.formatting import format_int, to_warsaw
from core.security import Actor, Permission
from core.services import jobs
from core.services.jobs import JobProgress
from dashboard.auth import idle_expired
from dashboard.components.errors import attempt
from dashboard.i18n import t

POLL_SECONDS = 1.0
R = TypeVar("R")


def follow_job(actor: Actor, job_id: int, result: type[R], *, label: str) -> JobProgress[R] | None:
    """The job (with its result read as `result`) once it has finished; until then None, with a live progress bar
    drawn in its place."""
    job = attempt(lambda: jobs.job_progress(actor=actor, job_id=job_id, result=result))
    if job is None or job.finished:
        return job
    _live_progress(actor, job_id, label)
    return None


@st.fragment(run_every=POLL_SECONDS)
def _live_progress(actor: Actor, job_id: int, label: str) -> None:
    # Timer ticks are not user activity; once the session is idle too long, let app.py sign the user out.
    if idle_expired():
        st.rerun(scope="app")
    job = jobs.job_progress(actor=actor, job_id=job_id)
    if job.finished:
        st.rerun(scope="app")
    draw_progress(job, label, actor)


def _run_now(actor: Actor, job_id: int) -> None:
    attempt(lambda: jobs.run_job_now(actor=actor, job_id=job_id))


def draw_retry(actor: Actor, job: JobProgress[Any]) -> None:
    """A job whose attempt failed says so, when it tries again, and offers to try now (never "waiting for a
    worker" after it failed)."""
    at = to_warsaw(job.run_after).strftime("%H:%M") if job.run_after is not None else ""
    st.warning(t("job.retry_at", at=at))
    st.text(job.error)
    if actor.can(Permission.run_operations):
        st.button(
            t("job.run_now"), key=f"job_run_now_{job.id}", on_click=_run_now, args=(actor, job.id),
            icon=":material/replay:",
        )  # fmt: skip


def draw_progress(job: JobProgress[Any], label: str, actor: Actor | None = None) -> None:
    if actor is not None and job.waiting_for_retry:
        draw_retry(actor, job)
        return
    if job.total <= 0:
        st.progress(0.0, text=t("job.queued"))
        return
    text = t("job.progress", label=label, done=format_int(job.done), total=format_int(job.total))
    st.progress(min(1.0, job.done / job.total), text=text)
