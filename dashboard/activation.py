"""The activation page (no login): the invitation's link carries a single-use token in `?token=`; the person of the
client company chooses a login and a password and becomes a client user. The token is read from the URL on each
run and never kept in session state; the password widgets are cleared in the submit callback."""

from __future__ import annotations

import streamlit as st

from core.services.clientside import invitations
from dashboard.components.errors import attempt_in_callback, show_kept_error
from dashboard.i18n import t

USERNAME = "aktywacja_username"
PASSWORD = "aktywacja_password"
REPEAT = "aktywacja_repeat"
ERROR = "aktywacja_error"
DONE = "aktywacja_done"


def _token() -> str:
    return str(st.query_params.get("token", ""))


def _submit() -> None:
    username = str(st.session_state.get(USERNAME, ""))
    password = str(st.session_state.get(PASSWORD, ""))
    repeat = str(st.session_state.get(REPEAT, ""))
    st.session_state[PASSWORD] = ""
    st.session_state[REPEAT] = ""
    if password != repeat:
        st.session_state[ERROR] = [t("aktywacja.mismatch")]
        return
    user = attempt_in_callback(
        lambda: invitations.activate(token=_token(), username=username, password=password), error_key=ERROR
    )
    if user is not None:
        st.session_state[DONE] = user.username
        st.session_state.pop(USERNAME, None)


def activation_page() -> None:
    st.title(t("aktywacja.title"))
    done = st.session_state.get(DONE)
    if done:
        st.success(t("aktywacja.done", username=done))
        st.query_params.clear()  # the spent token leaves the address bar
        st.markdown(f"[{t('aktywacja.to_login')}](/logowanie)")
        return
    token = _token()
    check = invitations.check(token) if token else invitations.InvitationCheck("unknown")
    if check.state != "pending":
        st.error(t(f"invitation.link_{check.state}"))
        return
    st.caption(t("aktywacja.intro", client=check.client_name, email=check.email))
    show_kept_error(ERROR)
    with st.form("aktywacja_form"):
        st.text_input(t("aktywacja.username"), key=USERNAME, autocomplete="username")
        st.text_input(t("aktywacja.password"), type="password", key=PASSWORD, autocomplete="new-password")
        st.text_input(t("aktywacja.repeat"), type="password", key=REPEAT, autocomplete="new-password")
        st.form_submit_button(t("aktywacja.submit"), key="aktywacja_submit", on_click=_submit, type="primary")
