"""Filling settings forms from the services: a form's fields are loaded when any of them is missing from session
state (first visit, or Streamlit dropped them after another page), and reloaded after a save shows the values the
service stored."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st


def load_fields(values: Mapping[str, Any], *, force: bool = False) -> None:
    """Put `values` (widget key → value) into session state before the widgets are drawn."""
    if force or any(key not in st.session_state for key in values):
        for key, value in values.items():
            st.session_state[key] = value
