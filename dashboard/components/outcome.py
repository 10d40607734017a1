"""Telling the user how a link attempt ended (connect, verify, use the key, signature): one place, one wording."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core.models.links import LinkOutcome
from dashboard.components.errors import attempt_in_callback
from dashboard.components.flash import flash
from dashboard.components.status import problem_title, status_label
from dashboard.i18n import localised, t


def outcome_lines(outcome: LinkOutcome) -> list[str]:
    status = status_label(outcome.status)
    if outcome.ok:
        return [t("link.outcome.ok", status=status)]
    return [
        t("link.outcome.failed", status=status, title=problem_title(outcome.problem_class)),
        localised(outcome.message),
    ]


def report_outcome(call: Callable[[], LinkOutcome], *, error_key: str, who: str = "") -> LinkOutcome | None:
    """Run a link call in a widget callback: success becomes a flash, a failure is kept under `error_key`."""
    outcome = attempt_in_callback(call, error_key=error_key)
    if outcome is None:
        return None
    lines = outcome_lines(outcome)
    if who:
        lines[0] = f"{who}: {lines[0]}"
    if outcome.ok:
        flash(" ".join(lines))
    else:
        st.session_state[error_key] = lines
    return outcome
