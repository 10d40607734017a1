"""The token sunset campaign: KSeF tokens stop working on 31.12.2026; how many clients still link by a token (a
count that should reach zero) and which ones. Both are counted and limited in the database, never read from the whole
register."""

from __future__ import annotations

from datetime import date

import streamlit as st

from core.formatting import format_date, format_int, to_warsaw
from core.services.overview import ClientTablePage
from core.types import utcnow
from dashboard.components.status import status_text
from dashboard.i18n import t, tn

SUNSET = date(2026, 12, 31)
LISTED = 200  # the first clients on tokens by name; the count is always the whole office's


def token_sunset(found: ClientTablePage | None) -> None:
    """`found`: the clients on tokens, counted in full and the first LISTED of them (overview.token_clients)."""
    st.subheader(t("certyfikaty.sunset.title"))
    on_tokens = found.items if found is not None else []
    total = found.total if found is not None else 0
    days = (SUNSET - to_warsaw(utcnow()).date()).days
    count_col, days_col = st.columns(2)
    count_col.metric(t("certyfikaty.sunset.count"), format_int(total) if found is not None else "—")
    days_col.metric(t("certyfikaty.sunset.days", date=format_date(SUNSET)), format_int(max(days, 0)))
    if found is None:
        return  # the error is shown; a count that could not be read is not "none left"
    if not total:
        st.success(t("certyfikaty.sunset.none"))
        return
    st.warning(tn("certyfikaty.sunset.left", total, date=format_date(SUNSET)))
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
    if total > len(on_tokens):
        st.caption(t("certyfikaty.sunset.more", shown=format_int(len(on_tokens)), total=format_int(total)))
