"""The token sunset campaign: KSeF tokens stop working on 31.12.2026; how many clients still link by a token (a
count that should reach zero) and which ones."""

from __future__ import annotations

from datetime import date

import streamlit as st

from core.formatting import format_date, format_int, to_warsaw
from core.services.overview import ClientRow
from core.types import AuthMethod, utcnow
from dashboard.components.status import status_text
from dashboard.i18n import t, tn

SUNSET = date(2026, 12, 31)


def token_sunset(rows: list[ClientRow]) -> None:
    st.subheader(t("certyfikaty.sunset.title"))
    on_tokens = [row for row in rows if row.auth_method == AuthMethod.ksef_token]
    days = (SUNSET - to_warsaw(utcnow()).date()).days
    count_col, days_col = st.columns(2)
    count_col.metric(t("certyfikaty.sunset.count"), format_int(len(on_tokens)))
    days_col.metric(t("certyfikaty.sunset.days", date=format_date(SUNSET)), format_int(max(days, 0)))
    if not on_tokens:
        st.success(t("certyfikaty.sunset.none"))
        return
    st.warning(tn("certyfikaty.sunset.left", len(on_tokens), date=format_date(SUNSET)))
    st.dataframe(
        {
            t("certyfikaty.sunset.col.name"): [row.name for row in on_tokens],
            t("certyfikaty.sunset.col.nip"): [row.nip for row in on_tokens],
            t("certyfikaty.sunset.col.status"): [status_text(row.link_status) for row in on_tokens],
        },
        hide_index=True,
        width="stretch",
        key="certyfikaty_sunset_table",
    )
