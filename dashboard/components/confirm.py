"""Confirmations in a dialog (archive, unlink, revoke, reissue), opened from session state.

A button's callback stores what is to be confirmed under `state_key`; the page calls `confirmation` on every run,
which draws the dialog while that value is there. Opening it from state (not from the button's return value) keeps
it open across its own reruns and lets AppTest see and click it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from core.security import Actor
from dashboard.auth import session_actor
from dashboard.components.errors import attempt
from dashboard.components.flash import flash
from dashboard.i18n import t

T = TypeVar("T")


def ask(state_key: str, value: Any) -> None:
    """Button callback: ask for the confirmation of `value`."""
    st.session_state[state_key] = value


def confirmation(
    state_key: str,
    value: Any,
    *,
    title: str,
    question: str,
    confirm_label: str,
    key: str,
    run: Callable[[Actor], T],
    done: Callable[[T], str],
) -> None:
    """Draw the dialog while `value` waits for confirmation; confirming runs `run` with the user re-read."""
    if value is None or st.session_state.get(state_key) != value:
        return

    def forget() -> None:
        st.session_state.pop(state_key, None)

    @st.dialog(title, on_dismiss=forget)
    def dialog() -> None:
        st.markdown(question)
        confirm_col, cancel_col = st.columns(2)
        if confirm_col.button(confirm_label, key=f"{key}_confirm", type="primary"):
            # A dialog click reruns only the dialog: re-read the user rather than trust the page run's actor.
            current = session_actor()
            if current is None:
                st.rerun()
            result = attempt(lambda: run(current))
            if result is not None:
                forget()
                flash(done(result))
                st.rerun()
        if cancel_col.button(t("common.cancel"), key=f"{key}_cancel"):
            forget()
            st.rerun()

    dialog()
