"""Tables: rows of plain, already formatted values under translated column headers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.i18n import t


def show_table(rows: Sequence[Mapping[str, Any]], headers: Mapping[str, str], *, key: str) -> None:
    """`headers` maps a row field to a text key; columns appear in that order, nothing else is shown."""
    data = {t(text_key): [row.get(field, "") for row in rows] for field, text_key in headers.items()}
    st.dataframe(data, hide_index=True, width="stretch", key=key)


def chip_table(
    data: Mapping[str, Sequence[Any]], styles: Mapping[str, Sequence[str]], *, key: str, **options: Any
) -> Any:
    """A read-only table whose cells in `styles`' columns are chips: their text on a colour (CSS per cell)."""
    frame = pd.DataFrame(dict(data))
    styled = frame.style
    for column, css in styles.items():
        styled = styled.apply(lambda _, css=list(css): css, subset=[column])
    return st.dataframe(styled, hide_index=True, width="stretch", key=key, **options)
