"""Pick clients, the environment, the way in and whether sending is on; connect one client at once or many as a job.

The bulk job's per-client results fill in while it runs (a fragment polls it every second); failures never stop the
rest, and "Ponów nieudane" starts a new job with only the failed clients and the same choices.

The picker offers one page of the clients matching the filter, read from the database (`overview.client_table_page`);
the chosen clients are ids in session state, kept across pages and filters; "choose every matching client" is one id
query (`overview.client_ids`), and only the chosen clients' rows are read (`overview.client_choices`): neither the
page nor the browser ever holds the whole register.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict

import streamlit as st

from core.formatting import format_int
from core.jobs.kinds import BulkLinkResult
from core.models.links import LinkRequest
from core.security import Actor
from core.services import jobs, overview
from core.services.jobs import JobProgress
from core.services.linking import credentials, links
from core.services.overview import ClientChoice, ClientRow, ClientTableFilter
from core.types import AuthMethod, CertificateType, JobStatus, KsefEnvironment, LinkStatus
from dashboard.auth import idle_expired, session_actor
from dashboard.certyfikaty.forms import missing_certificate_form
from dashboard.certyfikaty.table import credential_label
from dashboard.components.client_pages import client_page, page_count
from dashboard.components.errors import attempt, attempt_in_callback, show_kept_error
from dashboard.components.jobs import draw_progress
from dashboard.components.outcome import report_outcome
from dashboard.components.status import chip_css, outcome_css, problem_title, status_text
from dashboard.components.tables import chip_table
from dashboard.i18n import localised, relabelled, t, tn

SHOW = "polacz_show"
SEARCH = "polacz_search"
CLIENTS = "polacz_clients"  # the multiselect: the chosen among the clients it offers
CHOSEN = "polacz_chosen"  # every chosen client's id, on any page or filter
PAGE = "polacz_page"
PAGE_SIZE = 50  # like the Klienci table: the browser receives one page of the register
CHOSEN_LISTED = 50  # up to this many chosen clients stay listed in the multiselect whatever the filter
ENVIRONMENT = "polacz_environment"
CONFIRM_PROD = "polacz_prod"
METHOD = "polacz_method"
OFFICE_CERTIFICATE = "polacz_office_certificate"
SEND = "polacz_send"
LINKED = "polacz_linked"  # what to do with chosen clients whose link works: keep (default) or switch
ERROR = "polacz_error"
JOB = "polacz_job"  # the bulk job being followed
INPUT_CODES = ("no_token", "no_certificate", "input")  # core.services.linking.links.input_failure
JOB_CLIENTS = "polacz_job_clients"  # its client ids, in the order picked
JOB_REQUEST = "polacz_job_request"  # its choices (no secret: a method, ids, flags), for "Ponów nieudane"

FILTERS: dict[str, set[str] | None] = {
    "not_linked": {LinkStatus.not_linked},
    "problems": {LinkStatus.error, LinkStatus.action_required, LinkStatus.degraded},
    "all": None,
}
METHODS = ("client_token", "office_certificate", "client_certificate")
LINKED_CHOICES = ("keep", "switch")
WORKING = {LinkStatus.linked, LinkStatus.degraded}


# --- choosing --------------------------------------------------------------------------------------------------------


def _filter() -> ClientTableFilter:
    statuses = FILTERS.get(str(st.session_state.get(SHOW, "not_linked")))
    search = str(st.session_state.get(SEARCH) or "")
    return ClientTableFilter(search=search, link_statuses=tuple(sorted(statuses or ())))


def chosen_ids() -> list[int]:
    """The chosen clients' ids (only ids live in the session: no row, no secret), kept across pages and filters."""
    return [int(client_id) for client_id in st.session_state.get(CHOSEN, [])]


def _first_page() -> None:
    st.session_state[PAGE] = 1


def _select_all() -> None:
    """Choose every client matching the filter, on every page: one id query in the database."""
    actor = session_actor()
    if actor is None:
        return
    found = attempt_in_callback(lambda: overview.client_ids(actor=actor, chosen=_filter()), error_key=ERROR)
    if found is not None:
        chosen = chosen_ids()
        known = set(chosen)
        st.session_state[CHOSEN] = chosen + [client_id for client_id in found if client_id not in known]


def _clear() -> None:
    st.session_state[CHOSEN] = []
    st.session_state[CLIENTS] = []


def _picked(offered: list[int]) -> None:
    """The multiselect changed: it speaks for the clients it offered; a choice made on another page stays."""
    value = [int(client_id) for client_id in st.session_state.get(CLIENTS, [])]
    shown, kept = set(offered), set(value)
    chosen = [client_id for client_id in chosen_ids() if client_id not in shown or client_id in kept]
    known = set(chosen)
    st.session_state[CHOSEN] = chosen + [client_id for client_id in value if client_id not in known]


def _label(row: ClientRow | ClientChoice) -> str:
    return f"{row.name} — NIP {row.nip} — {status_text(row.link_status)}"


def pick_clients(actor: Actor, chosen_rows: Sequence[ClientChoice]) -> list[int]:
    """Filter, one page of matching clients to choose from, "choose every client matching", the count; returns the
    chosen ids. While few are chosen they stay in the list whatever the filter; many show as a count."""
    show_col, search_col = st.columns([3, 2], vertical_alignment="bottom")
    show_col.segmented_control(
        t("polacz.show"),
        options=list(FILTERS),
        format_func=lambda name: t(f"polacz.show.{name}"),
        default="not_linked",
        key=relabelled(SHOW),
        on_change=_first_page,
    )
    search_col.text_input(t("polacz.search"), key=SEARCH, on_change=_first_page)
    found, _number = client_page(actor, _filter(), page_key=PAGE, page_size=PAGE_SIZE)
    shown = found.items if found is not None else []
    total = found.total if found is not None else 0
    labels = {row.id: _label(row) for row in shown}
    chosen = chosen_ids()  # kept as it is when its rows could not be read (the error is shown)
    if len(chosen) <= CHOSEN_LISTED:
        labels = {**{row.id: _label(row) for row in chosen_rows}, **labels}
    offered = list(labels)
    st.session_state[CLIENTS] = [client_id for client_id in chosen if client_id in labels]
    st.multiselect(
        t("polacz.clients"),
        options=offered,
        format_func=labels.__getitem__,
        placeholder=t("polacz.clients_placeholder"),
        key=CLIENTS,
        on_change=_picked,
        args=(offered,),
    )
    pages = page_count(total, PAGE_SIZE)
    page_number = max(1, int(st.session_state.get(PAGE) or 1))
    if pages > 1:
        first = (page_number - 1) * PAGE_SIZE
        info_col, pager_col = st.columns([4, 1], vertical_alignment="bottom")
        info_col.caption(
            t(
                "polacz.page_info",
                first=format_int(first + 1),
                last=format_int(first + len(shown)),
                total=format_int(total),
            )
        )
        pager_col.number_input(t("polacz.page"), min_value=1, max_value=pages, step=1, key=PAGE)
    all_col, clear_col, count_col = st.columns([2, 1, 3], vertical_alignment="center")
    all_col.button(
        t("polacz.select_all", count=format_int(total)),
        key="polacz_select_all",
        on_click=_select_all,
        disabled=not total,
    )
    clear_col.button(t("polacz.clear"), key="polacz_clear", on_click=_clear, disabled=not chosen)
    count_col.caption(tn("polacz.chosen", len(chosen)))
    if len(chosen) > CHOSEN_LISTED:
        count_col.caption(t("polacz.chosen_elsewhere", count=format_int(len(chosen))))
    return chosen


def _office_certificates(actor: Actor) -> dict[int, str]:
    found = attempt(lambda: credentials.list_credentials(actor=actor)) or []
    return {
        c.id: credential_label(c, {})
        for c in found
        if c.client_id is None and c.kind == AuthMethod.ksef_certificate
        and c.certificate_type != CertificateType.Offline
    }  # fmt: skip


def choose_how(actor: Actor, chosen: Sequence[ClientChoice]) -> bool:
    """Environment, method, credential, sending; False while the choice cannot be used (e.g. no office certificate)."""
    env_col, method_col = st.columns(2)
    environment = env_col.selectbox(
        t("polacz.environment"),
        options=["", *KsefEnvironment],
        format_func=lambda env: env or t("polacz.environment_own"),
        key=relabelled(ENVIRONMENT),
        placeholder=t("common.choose"),
    )
    method = method_col.radio(
        t("polacz.method"),
        options=METHODS,
        format_func=lambda name: t(f"polacz.method.{name}"),
        key=relabelled(METHOD),
    )
    usable = True
    if method == "office_certificate":
        certificates = _office_certificates(actor)
        if certificates:
            method_col.selectbox(
                t("polacz.office_certificate"),
                options=list(certificates),
                format_func=certificates.__getitem__,
                key=OFFICE_CERTIFICATE,
                placeholder=t("common.choose"),
            )
        else:
            method_col.warning(t("polacz.no_office_certificate"))
            missing_certificate_form("polacz")  # upload in place; the choice then continues with it
            usable = False
    st.caption(t("polacz.signature_note"))
    working = sum(1 for row in chosen if row.link_status in WORKING)
    st.radio(
        t("polacz.linked"),
        options=LINKED_CHOICES,
        format_func=lambda name: t(f"polacz.linked.{name}") if name == "keep" else tn("polacz.linked.switch", working),
        key=relabelled(LINKED),
        help=t("polacz.linked_help"),
    )
    st.checkbox(t("connect.send_enabled"), key=SEND, help=t("connect.send_enabled_help"))
    production = environment == KsefEnvironment.PROD or (
        not environment and any(row.environment == KsefEnvironment.PROD for row in chosen)
    )
    if production:
        st.checkbox(t("connect.confirm_prod"), key=CONFIRM_PROD)
    return usable


def _request() -> LinkRequest:
    method = st.session_state.get(METHOD, METHODS[0])
    certificate = st.session_state.get(OFFICE_CERTIFICATE) if method == "office_certificate" else None
    return LinkRequest(
        auth_method=AuthMethod.ksef_token if method == "client_token" else AuthMethod.ksef_certificate,
        environment=st.session_state.get(ENVIRONMENT) or None,
        credential_id=int(certificate) if certificate else None,
        send_enabled=bool(st.session_state.get(SEND, False)),
        confirm_production=bool(st.session_state.get(CONFIRM_PROD, False)),
    )


# --- running ---------------------------------------------------------------------------------------------------------


def _switch_linked() -> bool:
    return bool(st.session_state.get(LINKED, LINKED_CHOICES[0]) == "switch")


def _start_job(actor: Actor, client_ids: list[int], request: LinkRequest, switch: bool) -> None:
    job_id = attempt_in_callback(
        lambda: links.start_bulk_connect(actor=actor, client_ids=client_ids, request=request, switch_linked=switch),
        error_key=ERROR,
    )
    if job_id is not None:
        st.session_state[JOB] = job_id
        st.session_state[JOB_CLIENTS] = client_ids
        st.session_state[JOB_REQUEST] = {**asdict(request), "switch_linked": switch}


def _connect(names: Mapping[int, str]) -> None:
    actor = session_actor()
    if actor is None:
        return
    client_ids = chosen_ids()
    request = _request()
    st.session_state[CONFIRM_PROD] = False  # a confirmation is given for one start
    if not client_ids:
        st.session_state[ERROR] = [t("polacz.pick_first")]
    elif len(client_ids) == 1:
        client_id = client_ids[0]
        who = names.get(client_id, "")
        switch = _switch_linked()
        report_outcome(
            lambda: links.connect_or_keep(actor=actor, client_id=client_id, request=request, switch_linked=switch),
            error_key=ERROR,
            who=who,
        )
    else:
        _start_job(actor, client_ids, request, _switch_linked())


def _retry_failed(failed: list[int]) -> None:
    actor = session_actor()
    request = st.session_state.get(JOB_REQUEST)
    if actor is not None and request is not None:
        choices = dict(request)
        switch = bool(choices.pop("switch_linked", False))
        _start_job(actor, failed, LinkRequest(**choices), switch)


def _dismiss() -> None:
    for key in (JOB, JOB_CLIENTS, JOB_REQUEST):
        st.session_state.pop(key, None)


def result_rows(
    job: JobProgress[BulkLinkResult], client_ids: Sequence[int], rows: Mapping[int, ClientChoice]
) -> dict[str, list[str]]:
    """One row per client of the job; a client without a result yet is still waiting."""
    results = job.result.clients if job.result is not None else {}
    columns: dict[str, list[str]] = {
        t("polacz.col.client"): [],
        t("polacz.col.nip"): [],
        t("polacz.col.status"): [],
        t("polacz.col.result"): [],
        t("polacz.col.message"): [],
    }
    for client_id in client_ids:
        row = rows.get(client_id)
        result = results.get(client_id)
        values = [row.name if row else str(client_id), row.nip if row else ""]
        if result is None:
            values += [t("polacz.waiting"), "", ""]
        else:
            verdict = t("polacz.ok") if result.ok else _failure_title(result.problem_class)
            values += [status_text(result.status), verdict, localised(result.message or "")]
        for column, value in zip(columns, values, strict=True):
            columns[column].append(value)
    return columns


def _failure_title(code: str) -> str:
    # Input refused before KSeF was asked is named as such ("brak tokenu"), never as an internal error.
    return t(f"polacz.input.{code}") if code in INPUT_CODES else problem_title(code)


def result_chips(job: JobProgress[BulkLinkResult], client_ids: Sequence[int]) -> dict[str, list[str]]:
    """Status and result as chips: the link status's colour, the outcome green or red (waiting rows plain)."""
    results = job.result.clients if job.result is not None else {}
    status, outcome = [], []
    for client_id in client_ids:
        result = results.get(client_id)
        status.append(chip_css(result.status) if result else "")
        outcome.append(outcome_css(result.ok) if result else "")
    return {t("polacz.col.status"): status, t("polacz.col.result"): outcome}


def _draw(job: JobProgress[BulkLinkResult], client_ids: Sequence[int], rows: Mapping[int, ClientChoice]) -> None:
    draw_progress(job, t("polacz.progress"))  # a bulk job does not fail per client, so it never waits for a retry
    chip_table(result_rows(job, client_ids, rows), result_chips(job, client_ids), key="polacz_results")


@st.fragment(run_every=1.0)
def _live(actor: Actor, job_id: int, client_ids: Sequence[int], rows: Mapping[int, ClientChoice]) -> None:
    if idle_expired():
        st.rerun(scope="app")
    job = jobs.job_progress(actor=actor, job_id=job_id, result=BulkLinkResult)
    if job.finished:
        st.rerun(scope="app")
    _draw(job, client_ids, rows)


def job_section(actor: Actor, rows: Mapping[int, ClientChoice]) -> None:
    job_id = st.session_state.get(JOB)
    if job_id is None:
        return
    client_ids = [int(cid) for cid in st.session_state.get(JOB_CLIENTS, [])]
    job = attempt(lambda: jobs.job_progress(actor=actor, job_id=int(job_id), result=BulkLinkResult))
    if job is None:
        _dismiss()
        return
    st.subheader(t("polacz.job.title"))
    if not job.finished:
        _live(actor, int(job_id), client_ids, rows)
        return
    _draw(job, client_ids, rows)
    result = job.result or BulkLinkResult()
    failed = result.failed
    if job.status != JobStatus.done:
        st.error(t("polacz.job.broken", error=job.error))
    elif failed:
        st.warning(tn("polacz.job.failed", len(failed), ok=result.ok))
    else:
        st.success(tn("polacz.job.done", len(client_ids)))
    retry_col, close_col = st.columns([1, 3])
    if failed:
        retry_col.button(
            t("polacz.retry", count=len(failed)),
            key="polacz_retry",
            on_click=_retry_failed,
            args=(failed,),
            type="primary",
            icon=":material/replay:",
        )
    close_col.button(t("common.dismiss"), key="polacz_dismiss", on_click=_dismiss)


def _choices(actor: Actor, client_ids: list[int]) -> list[ClientChoice]:
    """Only these clients' rows are read (never the register)."""
    if not client_ids:
        return []
    return attempt(lambda: overview.client_choices(actor=actor, client_ids=client_ids)) or []


def wizard(actor: Actor) -> None:
    job_ids = [int(cid) for cid in st.session_state.get(JOB_CLIENTS, [])] if st.session_state.get(JOB) else []
    job_section(actor, {row.id: row for row in _choices(actor, job_ids)})
    st.subheader(t("polacz.step.clients"))
    chosen_rows = _choices(actor, chosen_ids())
    chosen = pick_clients(actor, chosen_rows)
    st.subheader(t("polacz.step.how"))
    usable = choose_how(actor, chosen_rows)
    running = st.session_state.get(JOB) is not None
    st.button(
        tn("polacz.start", len(chosen)) if chosen else t("polacz.start_none"),
        key="polacz_start",
        on_click=_connect,
        args=({row.id: row.name for row in chosen_rows},),
        disabled=not chosen or not usable or running,
        type="primary",
        icon=":material/link:",
    )
    if running:
        st.caption(t("polacz.running"))
    show_kept_error(ERROR)
