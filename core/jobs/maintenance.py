"""Housekeeping of bookkeeping tables that would otherwise only grow."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import col

from core.db import rowcount, session_scope
from core.models import JobRun, RateSlot, WebSession
from core.types import JobStatus, utcnow

FINISHED_JOBS_KEPT_DAYS = 30
ENDED_WEB_SESSIONS_KEPT_DAYS = 1  # a login's story stays in the audit log; the row is only its cookie's hash


def forget_old_rows() -> dict[str, int]:
    now = utcnow()
    with session_scope(write=True) as session:
        slots = rowcount(session.execute(sa.delete(RateSlot).where(col(RateSlot.at) < now - timedelta(hours=1))))
        jobs = rowcount(
            session.execute(
                sa.delete(JobRun).where(
                    col(JobRun.status).in_([JobStatus.done, JobStatus.cancelled]),
                    col(JobRun.finished_at) < now - timedelta(days=FINISHED_JOBS_KEPT_DAYS),
                )
            )
        )
        ended = now - timedelta(days=ENDED_WEB_SESSIONS_KEPT_DAYS)
        web = rowcount(
            session.execute(
                sa.delete(WebSession).where(
                    sa.or_(col(WebSession.expires_at) < ended, col(WebSession.revoked_at) < ended)
                )
            )
        )
    return {"rate_slots_deleted": slots, "jobs_deleted": jobs, "web_sessions_deleted": web}
