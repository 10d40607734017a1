"""Showing what a service refused, in the session's language: its sentence, or every problem of an InvalidInput."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from core.errors import InvalidInput, ServiceError
from dashboard.i18n import language, t

T = TypeVar("T")


def show_error(error: ServiceError) -> None:
    st.error("\n".join(error_lines(error)))


def attempt(call: Callable[[], T]) -> T | None:
    """Run a service call; on a ServiceError show it where the call was made and return None."""
    try:
        return call()
    except ServiceError as error:
        show_error(error)
        return None


def error_lines(error: ServiceError) -> list[str]:
    if isinstance(error, InvalidInput):
        return [t("errors.invalid"), *(f"- {problem}" for problem in error.lines(language()))]
    return error.lines(language())


def attempt_in_callback(call: Callable[[], T], *, error_key: str) -> T | None:
    """`attempt` for widget callbacks: they run before the page is drawn, so the error is kept under `error_key`
    (sentences, never a secret) for `show_kept_error` to draw where the form is."""
    st.session_state.pop(error_key, None)
    try:
        return call()
    except ServiceError as error:
        st.session_state[error_key] = error_lines(error)
        return None


def show_kept_error(error_key: str) -> None:
    lines = st.session_state.pop(error_key, None)
    if lines:
        st.error("\n".join(lines))
