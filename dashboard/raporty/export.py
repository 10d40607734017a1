"""Exporting the chosen report: small ones are ready at once, large ones are built by the worker and offered when
ready. The file's bytes (a report, never a secret) wait in session state until the next export or "Zamknij"."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core.formatting import format_int
from core.jobs.kinds import ReportExportResult
from core.security import Actor
from core.services.reports import exports
from core.types import JobStatus
from dashboard.auth import session_actor
from dashboard.components.errors import attempt_in_callback, show_kept_error
from dashboard.components.jobs import follow_job
from dashboard.i18n import language, t, tn
from dashboard.raporty.filters import Choice, current_choice

EXPORT = "raporty_export"  # file name, mime, rows, job id
EXPORT_DATA = "raporty_export_data"  # the bytes of an export made at once
EXPORT_ERROR = "raporty_export_error"


def _prepare() -> None:
    actor = session_actor()
    if actor is None:
        return
    choice = current_choice()
    result = attempt_in_callback(
        lambda: exports.export_report(
            actor=actor, kind=choice.kind, fmt=choice.fmt, filters=choice.filters, lang=language()
        ),
        error_key=EXPORT_ERROR,
    )
    if result is None:
        return
    st.session_state[EXPORT] = {
        "file_name": result.file_name, "mime": result.mime, "rows": result.rows, "job_id": result.job_id,
    }  # fmt: skip
    if result.data is not None:
        st.session_state[EXPORT_DATA] = result.data
    else:
        st.session_state.pop(EXPORT_DATA, None)


def _dismiss() -> None:
    st.session_state.pop(EXPORT, None)
    st.session_state.pop(EXPORT_DATA, None)


def _deferred(actor: Actor, job_id: int) -> Callable[[], bytes]:
    def read() -> bytes:
        return exports.download_export(actor=actor, job_id=job_id)[2]

    return read


def _download(file_name: str, mime: str, data: bytes | Callable[[], bytes], rows: int) -> None:
    st.download_button(
        t("raporty.export.download", file=file_name), data=data, file_name=file_name, mime=mime,
        key="raporty_export_download", type="primary", on_click="ignore", icon=":material/download:",
    )  # fmt: skip
    st.caption(tn("raporty.export.rows", rows, file=file_name))


def export_section(actor: Actor, choice: Choice) -> None:
    st.button(
        t("raporty.export.prepare", format=choice.fmt.upper()), key="raporty_export_prepare", on_click=_prepare,
        icon=":material/file_export:",
    )  # fmt: skip
    show_kept_error(EXPORT_ERROR)
    prepared = st.session_state.get(EXPORT)
    if not prepared:
        return
    job_id = prepared.get("job_id")
    if job_id is None:
        data = st.session_state.get(EXPORT_DATA)
        if data is not None:
            _download(prepared["file_name"], prepared["mime"], data, int(prepared["rows"]))
    else:
        st.info(t("raporty.export.large", rows=format_int(int(prepared["rows"]))))
        job = follow_job(actor, int(job_id), ReportExportResult, label=t("raporty.export.progress"))
        if job is None:
            return
        if job.status != JobStatus.done or job.result is None:
            st.error(t("raporty.export.failed", error=job.error or job.status))
        else:
            # A large file is read only when the user clicks (deferred download), not on every rerun of the page.
            built = job.result
            _download(built.file_name, prepared["mime"], _deferred(actor, int(job_id)), built.rows)
    st.button(t("raporty.export.dismiss"), key="raporty_export_dismiss", on_click=_dismiss)
