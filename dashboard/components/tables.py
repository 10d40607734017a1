"""Tables: rows of plain, already formatted values under translated column headers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from dashboard.i18n import t


def show_table(rows: Sequence[Mapping[str, Any]], headers: Mapping[str, str], *, key: str) -> None:
    """`headers` maps a row field to a text key; columns appear in that order, nothing else is shown."""
    data = {t(text_key): [row.get(field, "") for row in rows] for field, text_key in headers.items()}
    st.dataframe(data, hide_index=True, width="stretch", key=key)
