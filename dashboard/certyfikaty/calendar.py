"""The credential calendar tab: every dated credential event, filters, a timeline and CSV/XLSX export; and the
office identity's certificate limits, read from KSeF on request."""

from __future__ import annotations

from dataclasses import asdict
from functools import partial

import streamlit as st

from core.formatting import format_date, warsaw_today
from core.security import Actor
from core.services.certificates import calendar as credential_calendar
from core.services.certificates import enrollment
from dashboard import charts
from dashboard.auth import session_actor
from dashboard.components.errors import attempt, attempt_in_callback, show_kept_error
from dashboard.i18n import language, t

KINDS = "calendar_kinds"
SEARCH = "calendar_search"
WITHIN = "calendar_within"
LIMITS = "calendar_limits"
ERROR = "calendar_error"


def _limits() -> None:
    actor = session_actor()
    if actor is None:
        return
    found = attempt_in_callback(lambda: enrollment.certificate_limits(actor=actor), error_key=ERROR)
    if found is not None:
        st.session_state[LIMITS] = asdict(found)


def calendar_tab(actor: Actor) -> None:
    st.caption(t("calendar.help"))
    events = attempt(lambda: credential_calendar.credential_calendar(actor=actor)) or []
    kinds_col, search_col, within_col = st.columns([3, 2, 1])
    kinds = kinds_col.multiselect(
        t("calendar.kinds"),
        options=list(credential_calendar.KINDS),
        default=list(credential_calendar.KINDS),
        format_func=lambda kind: t(f"calendar.kind.{kind}"),
        key=KINDS,
    )
    search = search_col.text_input(t("calendar.search"), key=SEARCH)
    within = within_col.number_input(t("calendar.within"), min_value=0, value=None, step=30, key=WITHIN)
    shown = credential_calendar.filtered(
        events, kinds=kinds, search=search, within_days=int(within) if within is not None else None
    )
    if not shown:
        st.info(t("calendar.none"))
    else:
        points = [(e.day, e.kind, e.owner or t("owner.office_all"), e.days_left) for e in shown]
        st.plotly_chart(charts.credential_timeline(points, today=warsaw_today(), t=t), key="calendar_chart")
        st.dataframe(
            {
                t("calendar.col.day"): [format_date(e.day) for e in shown],
                t("calendar.col.kind"): [t(f"calendar.kind.{e.kind}") for e in shown],
                t("calendar.col.owner"): [e.owner or t("owner.office_all") for e in shown],
                t("calendar.col.nip"): [e.nip for e in shown],
                t("calendar.col.label"): [e.label for e in shown],
                t("calendar.col.status"): [t(f"credential_status.{e.status}") if e.status else "" for e in shown],
                t("calendar.col.days"): [e.days_left for e in shown],
            },
            hide_index=True,
            width="stretch",
            key="calendar_table",
        )
        lang = language()
        csv_col, xlsx_col = st.columns(2)
        for column, fmt, mime in (
            (csv_col, "csv", "text/csv"),
            (xlsx_col, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ):
            data = attempt(partial(credential_calendar.export_calendar, actor=actor, events=shown, fmt=fmt, lang=lang))
            if data is not None:
                column.download_button(
                    t(f"calendar.download_{fmt}"), data=data, file_name=f"{t('calendar.file')}.{fmt}", mime=mime,
                    key=f"calendar_download_{fmt}",
                )  # fmt: skip
    st.subheader(t("calendar.limits"))
    st.button(t("enroll.check_limits"), key="calendar_check_limits", on_click=_limits, icon=":material/speed:")
    kept = st.session_state.get(LIMITS)
    if kept:
        st.caption(t("enroll.identity", label=kept["identity_label"]))
        requests_col, certificates_col = st.columns(2)
        requests_col.metric(t("enroll.requests_left"), f"{kept['enrollment_remaining']} / {kept['enrollment_limit']}")
        certificates_col.metric(
            t("enroll.certificates_left"), f"{kept['certificate_remaining']} / {kept['certificate_limit']}"
        )
    show_kept_error(ERROR)
