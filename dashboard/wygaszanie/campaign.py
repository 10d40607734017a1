"""Wygaszanie tokenów: who still depends on a KSeF token and why, the rights check (asked of KSeF), the bulk switch
of those the office certificate can serve (a job), and the instructions for the rest (e-mail once, or a PDF)."""

from __future__ import annotations

import streamlit as st

from core.formatting import format_date, format_datetime, format_int
from core.jobs.kinds import TokenSwitchResult
from core.security import Actor, Permission
from core.services.campaign import letters
from core.services.campaign import tokens as campaign
from core.services.campaign.tokens import Campaign, CampaignRow
from core.types import JobStatus
from dashboard.auth import session_actor
from dashboard.certyfikaty.forms import missing_certificate_form
from dashboard.components.errors import attempt, attempt_in_callback, show_kept_error
from dashboard.components.flash import flash
from dashboard.components.jobs import follow_job
from dashboard.components.status import status_text
from dashboard.i18n import localised, t, tn

JOB = "wygaszanie_job"
ERROR = "wygaszanie_error"
LETTER = "wygaszanie_letter"
PAGE = "wygaszanie_page"
PAGE_SIZE = 50  # like the Klienci table


def _check() -> None:
    actor = session_actor()
    if actor is None:
        return
    found = attempt_in_callback(lambda: campaign.check_rights(actor=actor), error_key=ERROR)
    if found is not None:
        flash(t("wygaszanie.checked", eligible=found.eligible, remaining=found.remaining))


def _switch() -> None:
    actor = session_actor()
    if actor is None:
        return
    job_id = attempt_in_callback(lambda: campaign.start_switch(actor=actor), error_key=ERROR)
    if job_id is not None:
        st.session_state[JOB] = job_id


def _instructions() -> None:
    actor = session_actor()
    if actor is None:
        return
    sent = attempt_in_callback(lambda: letters.send_instructions(actor=actor), error_key=ERROR)
    if sent is not None:
        counts = {"sent": len(sent.sent), "already": len(sent.already), "failed": len(sent.failed)}
        flash(t("wygaszanie.sent", no_email=len(sent.no_email), **counts))


def tiles(found: Campaign) -> None:
    days_col, remaining_col, eligible_col, switched_col = st.columns(4, border=True)
    days_col.metric(t("wygaszanie.days", date=format_date(found.sunset)), format_int(found.days_left))
    remaining_col.metric(t("wygaszanie.remaining"), format_int(found.remaining))
    eligible_col.metric(t("wygaszanie.eligible"), format_int(found.eligible))
    switched_col.metric(t("wygaszanie.switched"), format_int(found.switched))


def _eligible_label(row: CampaignRow) -> str:
    if not row.on_token:
        return t("wygaszanie.eligible.done")
    if row.eligible is None:
        return t("wygaszanie.eligible.unknown")
    return t("wygaszanie.eligible.yes") if row.eligible else t("wygaszanie.eligible.no")


def client_table(rows: list[CampaignRow]) -> None:
    """One page of the campaign's clients (a register of thousands on tokens is never sent to the browser whole)."""
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page_number = min(max(1, int(st.session_state.get(PAGE) or 1)), pages)
    st.session_state[PAGE] = page_number
    first = (page_number - 1) * PAGE_SIZE
    shown = rows[first : first + PAGE_SIZE]
    st.dataframe(
        {
            t("wygaszanie.col.client"): [r.name for r in shown],
            t("wygaszanie.col.nip"): [r.nip for r in shown],
            t("wygaszanie.col.link"): [status_text(r.link_status) for r in shown],
            t("wygaszanie.col.office_certificate"): [_eligible_label(r) for r in shown],
            t("wygaszanie.col.status"): [t(f"migration_status.{r.status}") for r in shown],
            t("wygaszanie.col.instruction"): [format_datetime(r.instruction_sent_at) for r in shown],
            t("wygaszanie.col.why"): [localised(r.message) for r in shown],
        },
        hide_index=True,
        width="stretch",
        key="wygaszanie_table",
    )
    if pages > 1:
        info_col, pager_col = st.columns([4, 1], vertical_alignment="bottom")
        info_col.caption(
            t(
                "wygaszanie.count",
                first=format_int(first + 1),
                last=format_int(first + len(shown)),
                total=format_int(len(rows)),
            )
        )
        pager_col.number_input(t("wygaszanie.page"), min_value=1, max_value=pages, step=1, key=PAGE)


def actions(actor: Actor, found: Campaign) -> None:
    running = st.session_state.get(JOB) is not None
    check_col, switch_col, send_col = st.columns(3)
    can_run = actor.can(Permission.run_operations)
    check_col.button(
        t("wygaszanie.check"), key="wygaszanie_check", on_click=_check, disabled=not can_run or not found.remaining,
        icon=":material/verified_user:",
    )  # fmt: skip
    switch_col.button(
        tn("wygaszanie.switch", found.eligible) if found.eligible else t("wygaszanie.switch_none"),
        key="wygaszanie_switch", on_click=_switch, type="primary", disabled=not found.eligible or running,
        icon=":material/swap_horiz:",
    )  # fmt: skip
    waiting = [r for r in found.rows if r.on_token and r.eligible is False and r.instruction_sent_at is None]
    send_col.button(
        tn("wygaszanie.send", len(waiting)) if waiting else t("wygaszanie.send_none"),
        key="wygaszanie_send", on_click=_instructions, disabled=not waiting, icon=":material/mail:",
    )  # fmt: skip
    show_kept_error(ERROR)


def switch_job(actor: Actor) -> None:
    job_id = st.session_state.get(JOB)
    if job_id is None:
        return
    job = follow_job(actor, int(job_id), TokenSwitchResult, label=t("wygaszanie.progress"))
    if job is None:
        return
    result = job.result or TokenSwitchResult()
    if job.status != JobStatus.done:
        st.error(t("wygaszanie.job_broken", error=localised(job.error or "")))
    elif result.failed:
        st.warning(tn("wygaszanie.job_failed", len(result.failed), switched=len(result.switched)))
    else:
        st.success(tn("wygaszanie.job_done", len(result.switched)))
    st.session_state.pop(JOB, None)


def letter_download(actor: Actor, found: Campaign) -> None:
    waiting = {r.client_id: f"{r.name} (NIP {r.nip})" for r in found.rows if r.on_token and not r.eligible}
    if not waiting:
        return
    st.subheader(t("wygaszanie.letter.title"))
    chosen = st.selectbox(
        t("wygaszanie.letter.client"), options=list(waiting), format_func=waiting.__getitem__, key=LETTER
    )
    if chosen is None:
        return
    pdf = attempt(lambda: letters.letter_pdf(actor=actor, client_id=int(chosen)))
    if pdf is not None:
        st.download_button(
            t("wygaszanie.letter.download"), data=pdf, file_name=f"instrukcja-ksef-{int(chosen)}.pdf",
            mime="application/pdf", key="wygaszanie_letter_pdf", icon=":material/picture_as_pdf:",
        )  # fmt: skip


def _restore(client_id: int) -> None:
    actor = session_actor()
    if actor is None:
        return
    result = attempt_in_callback(lambda: campaign.restore_token(actor=actor, client_id=client_id), error_key=ERROR)
    if result is not None:
        flash(t("wygaszanie.restored", result=localised(result)))


def restore_section(found: Campaign) -> None:
    """Back to the kept token, one client at a time (e.g. when the office certificate stops working for it)."""
    switched = {r.client_id: f"{r.name} (NIP {r.nip})" for r in found.rows if r.status == "switched"}
    if not switched or found.days_left <= 0:
        return
    with st.expander(t("wygaszanie.restore.title")):
        chosen = st.selectbox(
            t("wygaszanie.letter.client"), options=list(switched), format_func=switched.__getitem__,
            key="wygaszanie_restore_pick",
        )  # fmt: skip
        if chosen is not None:
            st.button(
                t("wygaszanie.restore.button"), key="wygaszanie_restore", on_click=_restore, args=(int(chosen),),
                icon=":material/undo:",
            )  # fmt: skip


def page(actor: Actor) -> None:
    switch_job(actor)
    found = attempt(lambda: campaign.campaign(actor=actor))
    if found is None:
        return
    tiles(found)
    if found.office_certificate_id is None:
        st.warning(t("campaign.no_office_certificate"))
        if actor.can(Permission.manage_credentials):
            missing_certificate_form("wygaszanie")
    if not found.remaining:
        st.success(t("wygaszanie.all_done"))
    actions(actor, found)
    if found.rows:
        client_table(found.rows)
    letter_download(actor, found)
    restore_section(found)
