"""Sending FA(3) files for one client: offline check at once, then the sending job followed to its results.

The upload is read in the button's callback and handed to the service (which checks every file against the XSD and
stores the good ones); session state keeps only the batch's job id, invoice ids and the per-file refusals.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import streamlit as st

from core.jobs.kinds import SendResult
from core.security import Actor
from core.services import invoices, sending
from core.services.jobs import JobProgress
from core.types import InvoiceStatus, JobStatus, LinkStatus
from dashboard.auth import session_actor
from dashboard.components.errors import attempt, attempt_in_callback, show_kept_error
from dashboard.components.jobs import follow_job
from dashboard.components.pickers import client_options
from dashboard.components.plain import plain
from dashboard.components.tables import show_table
from dashboard.faktury.rows import download_buttons, ksef_number, notes, pick_label
from dashboard.i18n import localised, t, tn

SEND_CLIENT = "faktury_send_client"
SEND_CLIENT_SEARCH = "faktury_send_client_search"
SEND_ROUND = "faktury_send_round"  # a new uploader key after each batch empties the uploader
SEND_BATCH = "faktury_send_batch"
SEND_ERROR = "faktury_send_error"
RESULT_PICK = "faktury_send_pick"
SENDABLE = [LinkStatus.linked, LinkStatus.degraded]
RESULT_HEADERS = {
    "file_name": "faktury.col.file_name",
    "number": "faktury.col.number",
    "status": "faktury.col.status",
    "ksef_number": "faktury.col.ksef_number",
    "notes": "faktury.col.notes",
}


def uploader_key() -> str:
    return f"faktury_send_files_{int(st.session_state.get(SEND_ROUND, 0))}"


def _submit() -> None:
    actor = session_actor()
    if actor is None:
        return
    client_id = st.session_state.get(SEND_CLIENT)
    uploaded = st.session_state.get(uploader_key()) or []
    if client_id is None:
        st.session_state[SEND_ERROR] = [t("faktury.send.no_client")]
        return
    files = [(item.name, item.getvalue()) for item in uploaded]
    batch = attempt_in_callback(
        lambda: sending.queue_invoices(actor=actor, client_id=int(client_id), files=files), error_key=SEND_ERROR
    )
    if batch is None:
        return
    st.session_state[SEND_BATCH] = {
        "job_id": batch.job_id,
        "invoice_ids": list(batch.invoice_ids),
        "rejected": {name: list(problems) for name, problems in batch.rejected.items()},
        "files": len(files),
    }
    st.session_state[SEND_ROUND] = int(st.session_state.get(SEND_ROUND, 0)) + 1


def _dismiss() -> None:
    st.session_state.pop(SEND_BATCH, None)
    st.session_state.pop(RESULT_PICK, None)


def send_form(actor: Actor) -> None:
    st.caption(t("faktury.send.help"))
    options = client_options(actor, search_key=SEND_CLIENT_SEARCH, link_statuses=[str(s) for s in SENDABLE])
    if not options:
        st.info(t("faktury.send.no_linked"))
        return
    if st.session_state.get(SEND_CLIENT) not in options:
        st.session_state[SEND_CLIENT] = next(iter(options))
    st.selectbox(
        t("faktury.send.client"),
        options=list(options),
        format_func=options.__getitem__,
        key=SEND_CLIENT,
        placeholder=t("common.choose"),
    )
    st.file_uploader(t("faktury.send.files"), type=["xml"], accept_multiple_files=True, key=uploader_key())
    st.button(
        t("faktury.send.submit"), key="faktury_send_submit", on_click=_submit, type="primary",
        icon=":material/send:",
    )  # fmt: skip
    show_kept_error(SEND_ERROR)


def show_refusals(rejected: dict[str, list[str]]) -> None:
    """Validation messages quote XML and patterns (`</P_2>`, `\\d{7}`): shown as plain text, never as Markdown."""
    for name, problems in rejected.items():
        st.error(t("faktury.send.refused", file=plain(name)))
        st.text("\n".join(f"- {localised(p)}" for p in problems))


def show_results(actor: Actor, job: JobProgress[SendResult], invoice_ids: list[int]) -> None:
    rows = attempt(lambda: invoices.invoices_by_id(actor=actor, invoice_ids=invoice_ids)) or []
    counts = Counter(row.status for row in rows)
    if job.status != JobStatus.done:
        st.error(t("faktury.send.failed", error=job.error or job.status))
    summary = [
        tn(f"faktury.send.summary.{status}", counts[status])
        for status in (InvoiceStatus.accepted, InvoiceStatus.duplicate, InvoiceStatus.rejected, InvoiceStatus.failed)
        if counts[status]
    ]
    if summary:
        accepted_only = counts[InvoiceStatus.accepted] == len(rows)
        (st.success if accepted_only else st.warning)(" · ".join(summary))
    table: list[dict[str, Any]] = [
        {
            "file_name": row.file_name,
            "number": row.invoice_number,
            "status": t(f"faktury.status.{row.status}"),
            "ksef_number": ksef_number(row),
            "notes": notes(row),
        }
        for row in rows
    ]
    show_table(table, RESULT_HEADERS, key="faktury_send_results")
    with_upo = {row.id: row for row in rows if row.has_upo}
    if with_upo:
        if st.session_state.get(RESULT_PICK) not in with_upo:
            st.session_state[RESULT_PICK] = next(iter(with_upo))
        chosen = st.selectbox(
            t("faktury.download.pick"), options=list(with_upo), format_func=lambda i: pick_label(with_upo[i]),
            key=RESULT_PICK,
            placeholder=t("common.choose"),
        )  # fmt: skip
        if chosen is not None:
            download_buttons(actor, with_upo[chosen], key_prefix="faktury_send_download")


def batch_outcome(actor: Actor) -> None:
    """The last batch: refusals at once, then the job's progress, then the results."""
    batch = st.session_state.get(SEND_BATCH)
    if not batch:
        return
    st.subheader(t("faktury.send.result_title"))
    show_refusals(batch["rejected"])
    job_id = batch.get("job_id")
    if job_id is None:
        st.warning(t("faktury.send.nothing_sent"))
    else:
        job = follow_job(actor, int(job_id), SendResult, label=t("faktury.send.progress"))
        if job is not None:
            show_results(actor, job, [int(i) for i in batch["invoice_ids"]])
    st.button(t("faktury.send.dismiss"), key="faktury_send_dismiss", on_click=_dismiss)


def send_section(actor: Actor) -> None:
    send_form(actor)
    batch_outcome(actor)
