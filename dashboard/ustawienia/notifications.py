"""E-mail notifications: the SMTP server (its password write-only), one switch per kind with optional recipients,
the sent log and the test e-mail.

The SMTP password field is read in the submit callback, emptied at once and handed straight to the service, which
stores it encrypted; it is never loaded back into the form, only "a password is stored" is shown.
"""

from __future__ import annotations

import streamlit as st

from core.errors import ServiceError
from core.formatting import format_datetime
from core.services.notifications import delivery as notification_delivery
from core.services.notifications import settings as notification_settings
from core.services.notifications.settings import SmtpView
from core.types import NotificationKind
from dashboard.auth import session_actor
from dashboard.components.errors import attempt, attempt_in_callback, error_lines, show_kept_error
from dashboard.components.flash import flash
from dashboard.components.tables import show_table
from dashboard.i18n import relabelled, t
from dashboard.ustawienia.common import load_fields
from dashboard.ustawienia.mailbox import mailbox_section

HOST = "ustawienia_smtp_host"
PORT = "ustawienia_smtp_port"
SECURITY = "ustawienia_smtp_security"
SENDER = "ustawienia_smtp_sender"
USERNAME = "ustawienia_smtp_username"
PASSWORD = "ustawienia_smtp_password"  # write-only: emptied in the callback that reads it
REMOVE_PASSWORD = "ustawienia_smtp_remove_password"
SMTP_ERROR = "ustawienia_smtp_error"
SWITCHES_ERROR = "ustawienia_switches_error"
TEST_TO = "ustawienia_test_to"
TEST_ERROR = "ustawienia_test_error"
SECURITY_OPTIONS = ("none", "starttls", "tls")
LOG_LIMIT = 100
LOG_HEADERS = {
    "sent_at": "ustawienia.log.col.sent_at",
    "kind": "ustawienia.log.col.kind",
    "recipients": "ustawienia.log.col.recipients",
    "subject": "ustawienia.log.col.subject",
    "status": "ustawienia.log.col.status",
    "error": "ustawienia.log.col.error",
}


def switch_key(kind: str) -> str:
    return f"ustawienia_switch_{kind}"


def recipients_key(kind: str) -> str:
    return f"ustawienia_recipients_{kind}"


def _smtp_fields(view: SmtpView) -> dict[str, object]:
    return {HOST: view.host, PORT: view.port, SECURITY: view.security, SENDER: view.sender, USERNAME: view.username}


def _save_smtp() -> None:
    state = st.session_state
    typed = str(state.get(PASSWORD) or "")
    state[PASSWORD] = ""  # the password never outlives this callback in session state
    remove = bool(state.get(REMOVE_PASSWORD))
    state[REMOVE_PASSWORD] = False
    actor = session_actor()
    if actor is None:
        return
    saved = attempt_in_callback(
        lambda: notification_settings.update_smtp(
            actor=actor,
            host=str(state.get(HOST) or ""),
            port=int(state.get(PORT) or 0),
            security=str(state.get(SECURITY) or ""),
            sender=str(state.get(SENDER) or ""),
            username=str(state.get(USERNAME) or ""),
            password="" if remove else (typed or None),
        ),
        error_key=SMTP_ERROR,
    )
    if saved is not None:
        load_fields(_smtp_fields(saved), force=True)
        flash(t("ustawienia.smtp.done"))


def smtp_form(view: SmtpView) -> None:
    load_fields(_smtp_fields(view))
    with st.form("ustawienia_smtp_form"):
        host_col, port_col, security_col = st.columns([3, 1, 2])
        host_col.text_input(t("ustawienia.smtp.host"), key=HOST, max_chars=255)
        port_col.number_input(t("ustawienia.smtp.port"), step=1, key=PORT)
        security_col.selectbox(
            t("ustawienia.smtp.security"),
            options=list(SECURITY_OPTIONS),
            format_func=lambda s: t(f"ustawienia.smtp.security.{s}"),
            key=relabelled(SECURITY),
            placeholder=t("common.choose"),
        )
        sender_col, user_col, password_col = st.columns(3)
        sender_col.text_input(t("ustawienia.smtp.sender"), key=SENDER, max_chars=254)
        user_col.text_input(t("ustawienia.smtp.username"), key=USERNAME, max_chars=254, autocomplete="off")
        password_col.text_input(
            t("ustawienia.smtp.password"), type="password", key=PASSWORD, autocomplete="new-password",
            placeholder=t("ustawienia.smtp.password_kept") if view.has_password else t("ustawienia.smtp.password_none"),
        )  # fmt: skip
        if view.has_password:
            st.checkbox(t("ustawienia.smtp.remove_password"), key=REMOVE_PASSWORD)
        st.form_submit_button(t("ustawienia.save"), key="ustawienia_smtp_submit", on_click=_save_smtp, type="primary")
    show_kept_error(SMTP_ERROR)
    st.caption(t("ustawienia.smtp.has_password") if view.has_password else t("ustawienia.smtp.no_password"))


def _save_switches() -> None:
    actor = session_actor()
    if actor is None:
        return
    state = st.session_state
    chosen = {
        str(kind): (bool(state.get(switch_key(kind))), str(state.get(recipients_key(kind)) or ""))
        for kind in NotificationKind
    }

    def save() -> bool:
        notification_settings.set_switches(actor=actor, settings=chosen)
        return True

    done = attempt_in_callback(save, error_key=SWITCHES_ERROR)
    if done:
        saved = notification_settings.switches(actor=actor)
        load_fields(_switch_fields(saved), force=True)
        flash(t("ustawienia.switches.done"))


def _switch_fields(saved: dict[str, tuple[bool, str]]) -> dict[str, object]:
    fields: dict[str, object] = {}
    for kind in NotificationKind:
        enabled, recipients = saved.get(kind, (True, ""))
        fields[switch_key(kind)] = enabled
        fields[recipients_key(kind)] = recipients
    return fields


def switches_form(saved: dict[str, tuple[bool, str]]) -> None:
    load_fields(_switch_fields(saved))
    with st.form("ustawienia_switches_form"):
        st.caption(t("ustawienia.switches.help"))
        for kind in NotificationKind:
            check_col, recipients_col = st.columns([2, 3], vertical_alignment="center")
            check_col.checkbox(t(f"notification_kind.{kind}"), key=switch_key(kind))
            recipients_col.text_input(
                t("ustawienia.switches.recipients"), key=recipients_key(kind), label_visibility="collapsed",
                placeholder=t("ustawienia.switches.recipients_placeholder"), max_chars=1000,
            )  # fmt: skip
        st.form_submit_button(
            t("ustawienia.save"), key="ustawienia_switches_submit", on_click=_save_switches, type="primary"
        )
    show_kept_error(SWITCHES_ERROR)


def _send_test() -> None:
    actor = session_actor()
    if actor is None:
        return
    st.session_state.pop(TEST_ERROR, None)
    try:
        recipients = notification_delivery.send_test(actor=actor, to=str(st.session_state.get(TEST_TO) or ""))
    except ServiceError as error:
        st.session_state[TEST_ERROR] = error_lines(error)
    else:
        flash(t("ustawienia.test.done", recipients=recipients))


def test_mail() -> None:
    to_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
    to_col.text_input(
        t("ustawienia.test.to"), key=TEST_TO, placeholder=t("ustawienia.test.to_placeholder"), max_chars=254
    )
    button_col.button(
        t("ustawienia.test.send"), key="ustawienia_test_send", on_click=_send_test, icon=":material/mail:"
    )
    show_kept_error(TEST_ERROR)


def sent_log() -> None:
    actor = session_actor()
    if actor is None:
        return
    rows = attempt(lambda: notification_settings.sent_log(actor=actor, limit=LOG_LIMIT)) or []
    if not rows:
        st.info(t("ustawienia.log.empty"))
        return
    table = [
        {
            "sent_at": format_datetime(row.sent_at),
            "kind": _kind_name(row.kind),
            "recipients": row.recipients,
            "subject": row.subject,
            "status": _status_name(row.status),
            "error": row.error,
        }
        for row in rows
    ]
    show_table(table, LOG_HEADERS, key="ustawienia_sent_log")


def _kind_name(kind: str) -> str:
    key = f"notification_kind.{kind}"
    text = t(key)
    return kind if text == key else text


def _status_name(status: str) -> str:
    key = f"ustawienia.log.status.{status}"
    text = t(key)
    return status if text == key else text


def notifications_tab() -> None:
    actor = session_actor()
    if actor is None:
        return
    st.subheader(t("ustawienia.smtp.title"))
    view = attempt(lambda: notification_settings.smtp_settings(actor=actor))
    if view is not None:
        if not view.host or not view.sender:
            st.warning(t("ustawienia.smtp.not_set"), icon=":material/mail_off:")
        smtp_form(view)
    st.subheader(t("ustawienia.test.title"))
    test_mail()
    st.subheader(t("ustawienia.switches.title"))
    saved = attempt(lambda: notification_settings.switches(actor=actor))
    if saved is not None:
        switches_form(saved)
    st.subheader(t("ustawienia.log.title"))
    sent_log()
    mailbox_section(actor)
