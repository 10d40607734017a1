"""Office data and master account, the KSeF environments (read-only) and the sync schedule."""

from __future__ import annotations

import streamlit as st

from core.formatting import format_datetime, format_int
from core.services import office
from core.services.office import MIN_SYNC_INTERVAL_MINUTES, OfficeView
from core.types import KsefEnvironment
from dashboard.auth import session_actor
from dashboard.components.errors import attempt, attempt_in_callback, show_kept_error
from dashboard.components.flash import flash
from dashboard.components.tables import show_table
from dashboard.i18n import relabelled, t
from dashboard.ustawienia.common import load_fields

NAME = "ustawienia_office_name"
ENVIRONMENT = "ustawienia_office_environment"
OFFICE_ERROR = "ustawienia_office_error"
INTERVAL = "ustawienia_schedule_interval"
SCHEDULE_ERROR = "ustawienia_schedule_error"
ENVIRONMENT_HEADERS = {
    "code": "ustawienia.env.col.code",
    "name": "ustawienia.env.col.name",
    "api_url": "ustawienia.env.col.api_url",
    "lighthouse_url": "ustawienia.env.col.lighthouse_url",
    "status": "ustawienia.env.col.status",
    "checked_at": "ustawienia.env.col.checked_at",
}


def _fields(view: OfficeView) -> dict[str, object]:
    return {NAME: view.name, ENVIRONMENT: view.default_environment, INTERVAL: view.sync_interval_minutes}


def _save(*, name: str | None = None, environment: str | None = None, interval: int | None = None, error_key: str,
          done_key: str) -> None:  # fmt: skip
    """Save one form's fields; the others keep what the office has stored (not what another form holds unsaved)."""
    actor = session_actor()
    if actor is None:
        return
    stored = attempt_in_callback(lambda: office.office_settings(actor=actor), error_key=error_key)
    if stored is None:
        return
    saved = attempt_in_callback(
        lambda: office.update_office(
            actor=actor,
            name=stored.name if name is None else name,
            sync_interval_minutes=stored.sync_interval_minutes if interval is None else interval,
            default_environment=stored.default_environment if environment is None else environment,
        ),
        error_key=error_key,
    )
    if saved is not None:
        fields = _fields(saved)
        # Reload only this form's fields: another form's unsaved edits stay as they are.
        keep = {NAME: name, ENVIRONMENT: environment, INTERVAL: interval}
        for key, value in fields.items():
            if keep[key] is not None:
                st.session_state[key] = value
        flash(t(done_key))


def _save_office() -> None:
    _save(
        name=str(st.session_state.get(NAME) or ""),
        environment=str(st.session_state.get(ENVIRONMENT) or ""),
        error_key=OFFICE_ERROR,
        done_key="ustawienia.office.done",
    )


def _save_schedule() -> None:
    raw = st.session_state.get(INTERVAL)
    _save(interval=int(raw) if raw is not None else 0, error_key=SCHEDULE_ERROR, done_key="ustawienia.schedule.done")


def office_tab(view: OfficeView) -> None:
    load_fields(_fields(view))
    with st.form("ustawienia_office_form"):
        st.text_input(t("ustawienia.office.name"), key=NAME, max_chars=200)
        nip_col, account_col = st.columns(2)
        nip_col.text_input(t("ustawienia.office.nip"), value=view.nip, disabled=True, key="ustawienia_office_nip")
        account_col.text_input(
            t("ustawienia.office.account"), value=view.account_id, disabled=True, key="ustawienia_office_account",
            help=t("ustawienia.office.account_help"),
        )  # fmt: skip
        st.selectbox(
            t("ustawienia.office.environment"),
            options=list(KsefEnvironment),
            format_func=lambda env: t(f"environment.{env}"),
            key=relabelled(ENVIRONMENT),
            help=t("ustawienia.office.environment_help"),
            placeholder=t("common.choose"),
        )
        st.form_submit_button(
            t("ustawienia.save"), key="ustawienia_office_submit", on_click=_save_office, type="primary"
        )
    show_kept_error(OFFICE_ERROR)


def environments_tab() -> None:
    actor = session_actor()
    if actor is None:
        return
    found = attempt(lambda: office.environments(actor=actor)) or []
    rows = [
        {
            "code": env.code,
            "name": t(f"environment.{env.code}"),
            "api_url": env.api_url,
            "lighthouse_url": env.lighthouse_url,
            "status": env.status or t("ustawienia.env.never"),
            "checked_at": format_datetime(env.checked_at),
        }
        for env in found
    ]
    show_table(rows, ENVIRONMENT_HEADERS, key="ustawienia_environments")
    st.caption(t("ustawienia.env.help"))


def schedule_tab() -> None:
    with st.form("ustawienia_schedule_form"):
        st.number_input(
            t("ustawienia.schedule.interval"), step=5, key=INTERVAL,
            help=t("ustawienia.schedule.interval_help", minimum=format_int(MIN_SYNC_INTERVAL_MINUTES)),
        )  # fmt: skip
        st.form_submit_button(
            t("ustawienia.save"), key="ustawienia_schedule_submit", on_click=_save_schedule, type="primary"
        )
    show_kept_error(SCHEDULE_ERROR)
    st.caption(t("ustawienia.schedule.fixed"))
