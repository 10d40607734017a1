"""Klienci → import: the template file (the columns the import reads and one example row), as XLSX or CSV."""

from __future__ import annotations

from functools import partial

import streamlit as st

from core.security import Actor
from core.services.clients.importer import TEMPLATE_FORMATS, import_template
from dashboard.components.errors import attempt
from dashboard.i18n import language, t


def template_buttons(actor: Actor) -> None:
    st.caption(t("klienci.template.help"))
    columns = st.columns(len(TEMPLATE_FORMATS) + 1)
    for column, fmt in zip(columns, ("xlsx", "csv"), strict=False):
        made = attempt(partial(import_template, actor=actor, fmt=fmt, lang=language()))
        if made is None:
            continue
        name, mime, data = made
        column.download_button(
            t(f"klienci.template.{fmt}"), data=data, file_name=name, mime=mime, key=f"klienci_template_{fmt}",
            on_click="ignore", icon=":material/download:",
        )  # fmt: skip
