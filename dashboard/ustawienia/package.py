"""The office's KSeF package: name, monthly operation limit, billing day, policy when used up."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from core.formatting import format_date, format_int, format_percent
from core.services.usage import package
from core.services.usage.package import PackageUsage
from core.types import PackagePolicy
from dashboard.auth import session_actor
from dashboard.components.errors import attempt_in_callback, show_kept_error
from dashboard.components.flash import flash
from dashboard.i18n import relabelled, t
from dashboard.ustawienia.common import load_fields

NAME = "ustawienia_package_name"
LIMIT = "ustawienia_package_limit"
BILLING_DAY = "ustawienia_package_day"
POLICY = "ustawienia_package_policy"
ERROR = "ustawienia_package_error"


def _fields(usage: PackageUsage) -> dict[str, object]:
    return {NAME: usage.name, LIMIT: usage.limit, BILLING_DAY: usage.billing_day, POLICY: usage.policy}


def _save() -> None:
    actor = session_actor()
    if actor is None:
        return
    state = st.session_state

    def update() -> bool:
        package.update_package(
            actor=actor,
            monthly_limit=int(state.get(LIMIT) or 0),
            billing_day=int(state.get(BILLING_DAY) or 0),
            policy=str(state.get(POLICY) or ""),
            name=str(state.get(NAME) or ""),
        )
        return True

    if not attempt_in_callback(update, error_key=ERROR):
        return
    usage = attempt_in_callback(lambda: package.package_usage(actor=actor), error_key=ERROR)
    if usage is not None:
        load_fields(_fields(usage), force=True)
        flash(t("ustawienia.package.done"))


def package_tab(usage: PackageUsage) -> None:
    load_fields(_fields(usage))
    last = usage.period.end - timedelta(days=1)
    st.caption(
        t(
            "ustawienia.package.current", used=format_int(usage.used), limit=format_int(usage.limit),
            percent=format_percent(usage.share), first=format_date(usage.period.start), last=format_date(last),
        )
    )  # fmt: skip
    with st.form("ustawienia_package_form"):
        st.text_input(t("ustawienia.package.name"), key=NAME, max_chars=100)
        limit_col, day_col = st.columns(2)
        limit_col.number_input(t("ustawienia.package.limit"), step=100, key=LIMIT)
        day_col.number_input(
            t("ustawienia.package.day"), step=1, key=BILLING_DAY, help=t("ustawienia.package.day_help")
        )
        st.radio(
            t("ustawienia.package.policy"),
            options=list(PackagePolicy),
            format_func=lambda p: t(f"ustawienia.policy.{p}"),
            key=relabelled(POLICY),
        )
        st.form_submit_button(t("ustawienia.save"), key="ustawienia_package_submit", on_click=_save, type="primary")
    show_kept_error(ERROR)
