"""The client's open problems (with their cause, fix and support bundle) and its history."""

from __future__ import annotations

from typing import Any

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


# Families of codes an audit detail may hold, tried in order: a value found in one is shown by its label.
_VALUE_FAMILIES = ("auth_method", "link_status", "credential_status", "role", "history.failure", "history.reason")


def _detail_value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return t("common.yes") if value else t("common.no")
    if isinstance(value, list | tuple):
        return ", ".join(_detail_value(item) for item in value)
    for family in _VALUE_FAMILIES:
        key = f"{family}.{value}"
        text = t(key)
        if text != key:
            return text
    return str(value)


def detail_text(details: dict[str, Any]) -> str:
    """An audit event's details by their labels ("udane: nie, przyczyna: klucz innego biura"), never raw codes."""
    parts = []
    for name, value in details.items():
        key = f"history.detail.{name}"
        label = t(key)
        parts.append(f"{name if label == key else label}: {_detail_value(value)}")
    return ", ".join(parts)


def actor_text(actor: str) -> str:
    """Who did it: a person's login, or the console itself in words ("worker" → "konsola (wykonawca zadań)")."""
    key = f"history.actor.{actor.split(':', 1)[0]}"
    text = t(key)
    return actor if text == key else text


def history_section(actor: Actor, client: ClientPublic) -> None:
    st.subheader(t("klient.history.title"))
    entries = attempt(lambda: client_detail.client_history(actor=actor, client_id=client.id))
    if not entries:
        if entries is not None:
            st.info(t("klient.history.none"))
        return
    rows = {
        t("klient.history.col.at"): [format_datetime(entry.at) for entry in entries],
        t("klient.history.col.actor"): [actor_text(entry.actor) for entry in entries],
        t("klient.history.col.what"): [
            t("klient.history.problem_closed") if entry.kind == "problem" else _action_text(entry.action)
            for entry in entries
        ],
        t("klient.history.col.details"): [localised(entry.text) or detail_text(entry.details) for entry in entries],
    }
    st.dataframe(rows, hide_index=True, width="stretch", key="klient_history_table")
