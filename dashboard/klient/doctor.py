"""The rights doctor and the connection self-test of one client. Both ask KSeF, so they run on a click, and their
reports (no secret in them) are kept for the client until the next check."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.formatting import format_datetime, format_decimal
from core.models import ClientPublic
from core.services.linking import rights, selftest
from core.services.linking.rights import RightsReport, permission_name
from core.services.linking.selftest import SelfTestReport
from dashboard.auth import session_actor
from dashboard.components.errors import attempt_in_callback, show_kept_error
from dashboard.components.status import outcome_css
from dashboard.components.tables import chip_table
from dashboard.i18n import localised, t

RIGHTS = "klient_rights"  # (client id, RightsReport)
RIGHTS_ERROR = "klient_rights_error"
SELFTEST = "klient_selftest"  # (client id, SelfTestReport)
SELFTEST_ERROR = "klient_selftest_error"


def _check_rights(client_id: int) -> None:
    actor = session_actor()
    if actor is None:
        return
    st.session_state.pop(RIGHTS, None)
    report = attempt_in_callback(lambda: rights.check_rights(actor=actor, client_id=client_id), error_key=RIGHTS_ERROR)
    if report is not None:
        st.session_state[RIGHTS] = (client_id, report)


def _run_self_test(client_id: int) -> None:
    actor = session_actor()
    if actor is None:
        return
    st.session_state.pop(SELFTEST, None)
    report = attempt_in_callback(
        lambda: selftest.run_self_test(actor=actor, client_id=client_id), error_key=SELFTEST_ERROR
    )
    if report is not None:
        st.session_state[SELFTEST] = (client_id, report)


def _kept(key: str, client_id: int) -> Any:
    kept = st.session_state.get(key)
    return kept[1] if kept is not None and kept[0] == client_id else None


def _permission(permission: str) -> str:
    return localised(permission_name(permission))


def rights_section(client: ClientPublic) -> None:
    st.subheader(t("klient.rights.title"))
    st.caption(t("klient.rights.help"))
    st.button(
        t("klient.rights.check"), key="klient_rights_check", on_click=_check_rights, args=(client.id,), type="primary"
    )
    show_kept_error(RIGHTS_ERROR)
    report: RightsReport | None = _kept(RIGHTS, client.id)
    if report is None:
        return
    st.caption(t("klient.rights.checked_at", at=format_datetime(report.checked_at)))
    if report.error:
        st.error(localised(report.error))
    held = ", ".join(_permission(p) for p in report.held) or t("klient.rights.none_held")
    st.markdown(t("klient.rights.held", held=held))
    rows = {
        t("klient.rights.col.operation"): [localised(need.operation) for need in report.needs],
        t("klient.rights.col.needs"): [_permission(need.needs) for need in report.needs],
        t("klient.rights.col.configured"): [
            t("common.yes") if need.configured else t("common.no") for need in report.needs
        ],
        t("klient.rights.col.satisfied"): [t("chip.yes") if need.satisfied else t("chip.no") for need in report.needs],
    }
    satisfied = [outcome_css(need.satisfied) for need in report.needs]
    chip_table(rows, {t("klient.rights.col.satisfied"): satisfied}, key="klient_rights_table")
    if report.missing:
        missing = ", ".join(_permission(p) for p in report.missing)
        st.warning(t("klient.rights.missing", missing=missing))
    else:
        st.success(t("klient.rights.sufficient"))
    st.markdown(t("klient.rights.instruction"))
    st.code(localised(report.instruction), language=None, wrap_lines=True)


def selftest_section(client: ClientPublic) -> None:
    st.subheader(t("klient.selftest.title"))
    st.caption(t("klient.selftest.help"))
    st.button(
        t("klient.selftest.run"), key="klient_selftest_run", on_click=_run_self_test, args=(client.id,), type="primary"
    )
    show_kept_error(SELFTEST_ERROR)
    report: SelfTestReport | None = _kept(SELFTEST, client.id)
    if report is None:
        return
    rows = {
        t("klient.selftest.col.step"): [localised(step.name) for step in report.steps],
        t("klient.selftest.col.result"): [t("chip.ok") if step.ok else t("chip.failed") for step in report.steps],
        t("klient.selftest.col.time"): [f"{format_decimal(step.milliseconds, 0)} ms" for step in report.steps],
        t("klient.selftest.col.message"): [localised(step.message) for step in report.steps],
    }
    results = [outcome_css(step.ok) for step in report.steps]
    chip_table(rows, {t("klient.selftest.col.result"): results}, key="klient_selftest_table")
    failure = report.first_failure
    if failure is None:
        st.success(t("klient.selftest.ok"))
        return
    st.error(
        "  \n".join(
            [
                t("klient.selftest.failed", step=localised(failure.name)),
                localised(failure.message),
                t("klient.selftest.cause", cause=localised(failure.cause)),
                t("klient.selftest.fix", fix=localised(failure.fix)),
            ]
        )
    )
