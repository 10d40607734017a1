"""The client's sync state: per direction how far the local copy reaches, completeness for month close, and
"Synchronizuj teraz" (a job, at once or when the 15-minute rule allows)."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from core.formatting import format_datetime, format_int
from core.jobs.kinds import SyncResult
from core.models import ClientPublic
from core.security import Actor, Permission
from core.services.sync import request as sync_request
from core.services.sync.outcome import complete_until, sync_status
from core.types import JobStatus, utcnow
from dashboard.auth import session_actor
from dashboard.components.errors import attempt, attempt_in_callback, show_kept_error
from dashboard.components.jobs import follow_job
from dashboard.i18n import t

JOB = "klient_sync_job"  # (client id, job id, ISO time it may run)
ERROR = "klient_sync_error"
SOON = timedelta(seconds=5)


def _request(client_id: int) -> None:
    actor = session_actor()
    if actor is None:
        return
    queued = attempt_in_callback(lambda: sync_request.request_sync(actor=actor, client_id=client_id), error_key=ERROR)
    if queued is not None:
        job_id, run_at = queued
        st.session_state[JOB] = (client_id, job_id, run_at)


def _dismiss() -> None:
    st.session_state.pop(JOB, None)


def sync_section(actor: Actor, client: ClientPublic) -> None:
    st.subheader(t("klient.sync.title"))
    statuses = attempt(lambda: sync_status(actor=actor, client_id=client.id)) or []
    complete = complete_until(statuses)
    if complete is not None:
        st.success(t("klient.sync.complete", until=format_datetime(complete)))
    else:
        st.info(t("klient.sync.incomplete"))
    if statuses:
        rows = {
            t("klient.sync.col.direction"): [t(f"subject_type.{s.subject_type}") for s in statuses],
            t("klient.sync.col.hwm"): [format_datetime(s.hwm) for s in statuses],
            t("klient.sync.col.last_success"): [format_datetime(s.last_success_at) for s in statuses],
            t("klient.sync.col.next_due"): [format_datetime(s.next_due_at) for s in statuses],
            t("klient.sync.col.failures"): [format_int(s.consecutive_failures) for s in statuses],
            t("klient.sync.col.last_error"): [s.last_error for s in statuses],
        }
        st.dataframe(rows, hide_index=True, width="stretch", key="klient_sync_table")
    if not actor.can(Permission.run_operations) or client.archived_at is not None:
        return
    st.button(t("klient.sync.now"), key="klient_sync_now", on_click=_request, args=(client.id,), icon=":material/sync:")
    show_kept_error(ERROR)
    kept = st.session_state.get(JOB)
    if kept is None or kept[0] != client.id:
        return
    _, job_id, run_at = kept
    if run_at > utcnow() + SOON:
        st.info(t("klient.sync.scheduled", at=format_datetime(run_at)))
        return
    job = follow_job(actor, int(job_id), SyncResult, label=t("klient.sync.progress"))
    if job is None:
        return
    if job.status == JobStatus.done and job.result is not None:
        st.success(t("klient.sync.done", new=format_int(job.result.new_invoices)))
    else:
        st.error(t("klient.sync.failed", error=job.error))
    st.button(t("common.dismiss"), key="klient_sync_dismiss", on_click=_dismiss)
