"""The client's open problems (with their cause, fix and support bundle) and its history."""

from __future__ import annotations

import streamlit as st

from core.formatting import format_datetime, format_int
from core.models import ClientPublic
from core.security import Actor, Permission
from core.services import problems
from core.services.linking import detail as client_detail
from core.services.problems import ProblemView, explain
from dashboard.components.errors import attempt
from dashboard.components.status import problem_title
from dashboard.i18n import localised, t


def bundle_button(actor: Actor, problem: ProblemView, *, key: str) -> None:
    """The support bundle (masked transcript as JSON), made only when the user clicks."""
    st.download_button(
        t("problem.bundle"),
        data=lambda: problems.support_bundle(actor=actor, problem_id=problem.id),
        file_name=f"ksef-problem-{problem.id}.json",
        mime="application/json",
        key=key,
        on_click="ignore",
        icon=":material/download:",
    )


def problems_section(actor: Actor, client: ClientPublic) -> None:
    st.subheader(t("klient.problems.title"))
    found = attempt(lambda: problems.list_open(actor=actor, client_id=client.id))
    if not found:
        if found is not None:
            st.success(t("klient.problems.none"))
        return
    for problem in found:
        explanation = explain(problem.problem_class)
        with st.container(border=True):
            st.markdown(f"**{problem_title(problem.problem_class)}** — {localised(problem.message)}")
            st.caption(
                t(
                    "problem.seen",
                    count=format_int(problem.occurrences),
                    first=format_datetime(problem.first_seen_at),
                    last=format_datetime(problem.last_seen_at),
                )
            )
            if explanation is not None:
                st.markdown(
                    t("problem.cause", cause=localised(explanation.cause))
                    + "  \n"
                    + t("problem.fix", fix=localised(explanation.fix))
                )
            if actor.can(Permission.run_operations):
                bundle_button(actor, problem, key=f"klient_bundle_{problem.id}")


def _action_text(action: str) -> str:
    key = f"history.{action.replace('.', '_')}"
    text = t(key)
    return action if text == key else text


def history_section(actor: Actor, client: ClientPublic) -> None:
    st.subheader(t("klient.history.title"))
    entries = attempt(lambda: client_detail.client_history(actor=actor, client_id=client.id))
    if not entries:
        if entries is not None:
            st.info(t("klient.history.none"))
        return
    rows = {
        t("klient.history.col.at"): [format_datetime(entry.at) for entry in entries],
        t("klient.history.col.actor"): [entry.actor for entry in entries],
        t("klient.history.col.what"): [
            t("klient.history.problem_closed") if entry.kind == "problem" else _action_text(entry.action)
            for entry in entries
        ],
        t("klient.history.col.details"): [
            localised(entry.text) or ", ".join(f"{name}: {value}" for name, value in entry.details.items())
            for entry in entries
        ],
    }
    st.dataframe(rows, hide_index=True, width="stretch", key="klient_history_table")
