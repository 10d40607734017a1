"""Open problems grouped by class, each group with its cause and fix in plain Polish and the clients it touches.

Per problem: check again (a link problem), use this company's key (a wrong company key), sync again (a sync problem),
open the client, download the support bundle. Per group: retry all, as a job with a progress bar. Nothing here
closes a problem by hand: the services close it when the next attempt succeeds, and the list simply loses it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import streamlit as st

from core.formatting import format_datetime, format_int
from core.jobs.kinds import BulkLinkResult
from core.security import Actor
from core.services import problems
from core.services.linking import links
from core.services.problems import ProblemView, explain
from core.services.sync import request as sync_request
from core.types import JobStatus, ProblemClass
from dashboard.auth import session_actor
from dashboard.components.errors import attempt, attempt_in_callback, show_kept_error
from dashboard.components.flash import flash
from dashboard.components.jobs import follow_job
from dashboard.components.outcome import report_outcome
from dashboard.components.status import problem_badge, problem_title
from dashboard.i18n import localised, t, tn
from dashboard.klient.activity import bundle_button
from dashboard.klient.selection import open_client

LINK, SYNC = "link", "sync"


def _error_key(problem_id: int) -> str:
    return f"wsparcie_error_{problem_id}"


def _job_key(problem_class: str) -> str:
    return f"wsparcie_job_{problem_class}"


def _who(problem: ProblemView) -> str:
    return f"{problem.client_name} (NIP {problem.client_nip})"


def _verify(problem: ProblemView) -> None:
    actor = session_actor()
    if actor is not None and problem.client_id is not None:
        client_id = problem.client_id
        report_outcome(
            lambda: links.verify_link(actor=actor, client_id=client_id),
            error_key=_error_key(problem.id),
            who=_who(problem),
        )


def _use_current_key(problem: ProblemView) -> None:
    actor = session_actor()
    if actor is not None and problem.client_id is not None:
        client_id = problem.client_id
        report_outcome(
            lambda: links.use_current_key(actor=actor, client_id=client_id),
            error_key=_error_key(problem.id),
            who=_who(problem),
        )


def _sync(problem: ProblemView) -> None:
    actor = session_actor()
    if actor is None or problem.client_id is None:
        return
    client_id = problem.client_id
    queued = attempt_in_callback(
        lambda: sync_request.request_sync(actor=actor, client_id=client_id), error_key=_error_key(problem.id)
    )
    if queued is not None:
        flash(t("wsparcie.sync_queued", who=_who(problem), at=format_datetime(queued[1])))


def _retry_group(problem_class: str, group: list[ProblemView]) -> None:
    """Re-verify every client of the group in one job; clients with a sync problem also get a sync queued."""
    actor = session_actor()
    if actor is None:
        return
    error_key = f"wsparcie_group_error_{problem_class}"
    client_ids = sorted({p.client_id for p in group if p.client_id is not None and p.operation == LINK})
    if client_ids:
        job_id = attempt_in_callback(
            lambda: links.start_bulk_verify(actor=actor, client_ids=client_ids), error_key=error_key
        )
        if job_id is not None:
            st.session_state[_job_key(problem_class)] = job_id
    syncs = sorted({p.client_id for p in group if p.client_id is not None and p.operation == SYNC})

    def request(client_id: int) -> tuple[int, datetime] | None:
        return attempt_in_callback(
            lambda: sync_request.request_sync(actor=actor, client_id=client_id), error_key=error_key
        )

    queued = sum(request(cid) is not None for cid in syncs)
    if queued:
        flash(tn("wsparcie.group.syncs_queued", queued))


def _dismiss_job(problem_class: str) -> None:
    st.session_state.pop(_job_key(problem_class), None)


def _problem(actor: Actor, problem: ProblemView) -> None:
    with st.container(border=True, key=f"wsparcie_problem_{problem.id}"):
        text_col, actions_col = st.columns([3, 2])
        who = _who(problem) if problem.client_id is not None else t("wsparcie.office_wide")
        text_col.markdown(f"**{who}**  \n{localised(problem.message)}")
        details = t(
            "problem.seen",
            count=format_int(problem.occurrences),
            first=format_datetime(problem.first_seen_at),
            last=format_datetime(problem.last_seen_at),
        )
        if problem.ksef_code is not None:
            details += " · " + t("wsparcie.ksef_code", code=problem.ksef_code)
        text_col.caption(details)
        with actions_col:
            if problem.client_id is not None:
                if problem.problem_class == ProblemClass.wrong_company_key and problem.operation == LINK:
                    st.button(
                        t("wsparcie.use_key"),
                        key=f"wsparcie_use_key_{problem.id}",
                        on_click=_use_current_key,
                        args=(problem,),
                        type="primary",
                        icon=":material/key:",
                    )
                if problem.operation == LINK:
                    st.button(
                        t("wsparcie.verify"),
                        key=f"wsparcie_verify_{problem.id}",
                        on_click=_verify,
                        args=(problem,),
                        icon=":material/replay:",
                    )
                elif problem.operation == SYNC:
                    st.button(
                        t("wsparcie.sync"),
                        key=f"wsparcie_sync_{problem.id}",
                        on_click=_sync,
                        args=(problem,),
                        icon=":material/sync:",
                    )
                st.button(
                    t("wsparcie.open_client"),
                    key=f"wsparcie_open_{problem.id}",
                    on_click=open_client,
                    args=(problem.client_id,),
                    icon=":material/open_in_new:",
                )
            bundle_button(actor, problem, key=f"wsparcie_bundle_{problem.id}")
        show_kept_error(_error_key(problem.id))


def _group(actor: Actor, problem_class: str, group: list[ProblemView]) -> None:
    explanation = explain(problem_class)
    with st.container(border=True, key=f"wsparcie_group_{problem_class}"):
        st.subheader(f"{problem_title(problem_class)} ({format_int(len(group))})")
        st.markdown(problem_badge(problem_class))
        if explanation is not None:
            st.markdown(
                t("problem.cause", cause=localised(explanation.cause))
                + "  \n"
                + t("problem.fix", fix=localised(explanation.fix))
            )
        affected = sorted({_who(p) for p in group if p.client_id is not None})
        if affected:
            st.caption(tn("wsparcie.affected", len(affected), names=", ".join(affected)))
        job_id = st.session_state.get(_job_key(problem_class))
        retryable = any(p.client_id is not None and p.operation in (LINK, SYNC) for p in group)
        if retryable:
            st.button(
                t("wsparcie.group.retry", count=len(group)),
                key=f"wsparcie_retry_{problem_class}",
                on_click=_retry_group,
                args=(problem_class, group),
                disabled=job_id is not None,
                icon=":material/replay:",
            )
        show_kept_error(f"wsparcie_group_error_{problem_class}")
        if job_id is not None:
            job = follow_job(actor, int(job_id), BulkLinkResult, label=t("wsparcie.group.progress"))
            if job is not None:
                result = job.result or BulkLinkResult()
                if job.status != JobStatus.done:
                    st.error(t("wsparcie.group.broken", error=job.error))
                else:
                    st.info(t("wsparcie.group.done", ok=format_int(result.ok), failed=len(result.failed)))
                st.button(
                    t("common.dismiss"),
                    key=f"wsparcie_dismiss_{problem_class}",
                    on_click=_dismiss_job,
                    args=(problem_class,),
                )
        for problem in group:
            _problem(actor, problem)


def inbox(actor: Actor) -> None:
    found = attempt(lambda: problems.list_open(actor=actor))
    if found is None:
        return
    groups: dict[str, list[ProblemView]] = defaultdict(list)
    for problem in found:
        groups[problem.problem_class].append(problem)
    # A group's retry job outlives its problems: keep showing how it ended until it is dismissed.
    for key in [k for k in st.session_state if str(k).startswith("wsparcie_job_")]:
        groups.setdefault(str(key).removeprefix("wsparcie_job_"), [])
    if not found:
        st.success(t("wsparcie.empty"))
    else:
        st.caption(tn("wsparcie.summary", len(found), groups=format_int(len([g for g in groups.values() if g]))))
    for problem_class, group in sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])):
        _group(actor, problem_class, group)
