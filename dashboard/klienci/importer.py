"""Import of clients from a CSV or XLSX file: queue the job, follow it, show the outcome.

`start_import(actor, filename, content)` is a plain function, so it can be driven without a browser upload; the page
only keeps the job id in session state and reads the job's progress and result from the queue on every run.
"""

from __future__ import annotations

import streamlit as st

from core.jobs.kinds import ClientImportResult
from core.security import Actor
from core.services.clients.importer import start_client_import
from core.services.jobs import JobProgress
from core.types import JobStatus
from dashboard.components.errors import attempt
from dashboard.components.jobs import follow_job
from dashboard.i18n import localised, t, tn
from dashboard.klienci.template import template_buttons

IMPORT_JOB = "klienci_import_job"
UPLOAD = "klienci_import_file"
MAX_ERRORS_SHOWN = 200


def start_import(actor: Actor, filename: str, content: bytes) -> int | None:
    """Queue the import and remember its job; an unreadable file is refused at once, with the reason shown."""
    job_id = attempt(lambda: start_client_import(actor=actor, filename=filename, content=content))
    if job_id is not None:
        st.session_state[IMPORT_JOB] = job_id
    return job_id


def _dismiss() -> None:
    st.session_state.pop(IMPORT_JOB, None)


def show_outcome(job: JobProgress[ClientImportResult]) -> None:
    result = job.result
    if job.status != JobStatus.done or result is None:
        st.error(t("klienci.import.failed", filename=job.subject, error=job.error))
    elif result.status == "imported":
        st.success(tn("klienci.import.done", result.imported))
    elif result.status == "refused":
        errors = [localised(line) for line in result.errors]
        lines = [f"- {line}" for line in errors[:MAX_ERRORS_SHOWN]]
        if len(errors) > MAX_ERRORS_SHOWN:
            lines.append(f"- … (+{len(errors) - MAX_ERRORS_SHOWN})")
        st.error("\n".join([t("klienci.import.refused", filename=job.subject), *lines]))
    else:
        st.warning(t("klienci.import.empty", filename=job.subject))
    st.button(t("klienci.import.dismiss"), key="klienci_import_dismiss", on_click=_dismiss)


def import_section(actor: Actor) -> None:
    st.caption(t("klienci.import.help"))
    template_buttons(actor)
    job_id = st.session_state.get(IMPORT_JOB)
    uploaded = st.file_uploader(t("klienci.import.file"), type=["csv", "xlsx"], key=UPLOAD)
    start = st.button(t("klienci.import.start"), key="klienci_import_start", disabled=uploaded is None, type="primary")
    if start and uploaded is not None:
        job_id = start_import(actor, uploaded.name, uploaded.getvalue())
    if job_id is None:
        return
    job = follow_job(actor, int(job_id), ClientImportResult, label=t("klienci.import.progress"))
    if job is not None:
        show_outcome(job)
