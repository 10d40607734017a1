"""One-shot messages that survive the st.rerun() after a change ("Dodano klienta …")."""

from __future__ import annotations

import streamlit as st

from dashboard import state


def flash(text: str) -> None:
    st.session_state.setdefault(state.FLASH, []).append(text)


def show_flashes() -> None:
    for text in st.session_state.pop(state.FLASH, []):
        st.success(text)
