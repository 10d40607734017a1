"""The login gate: the login form, the signed-in user of each run, idle timeout, sign-out.

Only the user's id, the row id of the browser's web session and the time of last activity are kept in session state.
Every run re-reads the user from the database (`users.actor_for`), so a disabled account or a changed role takes
effect on the next click. The login survives a reload or a new tab through the web session's cookie
(core/services/web_sessions.py, set and cleared by dashboard/server.py); the web session is the idle clock.
"""

from __future__ import annotations

import json
import time

import streamlit as st

from core.errors import AuthenticationFailed
from core.security import Actor, Permission
from core.services import users, web_sessions
from core.settings import get_settings
from core.types import Role
from dashboard import nav, state
from dashboard.i18n import localised, t


def idle_expired() -> bool:
    last = st.session_state.get(state.LAST_ACTIVITY)
    # Fail closed: a session with a user but no activity time is treated as expired.
    return last is None or time.time() - float(last) > get_settings().idle_timeout_minutes * 60


def sign_out(notice: str | None = None) -> None:
    """Forget the user and every UI flag; keep the language. `notice` is a text key shown on the login page.

    The web session is revoked first, so the cookie stops working in every tab even if the browser keeps it."""
    web_id = st.session_state.get(state.WEB_SESSION)
    if web_id is not None:
        web_sessions.end(int(web_id), session_actor())
    for key in list(st.session_state.keys()):
        if key not in state.KEPT_ON_SIGN_OUT:
            del st.session_state[key]
    if notice:
        st.session_state[state.LOGIN_NOTICE] = notice
    st.session_state[state.CLEAR_COOKIE] = True


def _resume_from_cookie() -> None:
    """A new Streamlit session (F5, a typed URL, a new tab): sign in again from the browser's web session cookie."""
    cookie = st.context.cookies.get(web_sessions.COOKIE_NAME)
    found = web_sessions.resume(cookie) if isinstance(cookie, str) and cookie else None
    if found is not None:
        st.session_state[state.USER_ID] = found.user_id
        st.session_state[state.WEB_SESSION] = found.id
        st.session_state[state.LAST_ACTIVITY] = time.time()


def _still_active() -> bool:
    """The web session (shared by the user's tabs) is the idle clock; without one, this session's own clock."""
    web_id = st.session_state.get(state.WEB_SESSION)
    if web_id is not None:
        return web_sessions.alive(int(web_id))
    return not idle_expired()


def signed_in_actor() -> Actor | None:
    """The user of this run, or None (then only the login page is offered). Called once per run by app.py."""
    if st.session_state.get(state.USER_ID) is None:
        _resume_from_cookie()
    user_id = st.session_state.get(state.USER_ID)
    if user_id is None:
        return None
    if not _still_active():
        sign_out("login.idle_logout")
        return None
    actor = users.actor_for(int(user_id))
    if actor is None:
        sign_out("login.account_gone")
        return None
    st.session_state[state.LAST_ACTIVITY] = time.time()
    return actor


def session_actor() -> Actor | None:
    """The signed-in user, re-read, without side effects (pages and widget callbacks; app.py has done the rest)."""
    user_id = st.session_state.get(state.USER_ID)
    return None if user_id is None or idle_expired() else users.actor_for(int(user_id))


def require(permission: Permission) -> Actor:
    """Top of every page: stop unless the signed-in user holds `permission` (services check again)."""
    actor = session_actor()
    if actor is None or not actor.can(permission):
        st.error(t("access.denied"))
        st.stop()
    return actor


def require_client() -> Actor:
    """Top of a client user's page: stop unless the signed-in user is a client user bound to its company."""
    actor = session_actor()
    if actor is None or actor.role != Role.client or actor.client_id is None:
        st.error(t("access.denied"))
        st.stop()
    return actor


def _submit_login() -> None:
    """Form callback: runs before the next script run, the only moment the password widget may be cleared."""
    username = str(st.session_state.get(state.LOGIN_USERNAME, ""))
    password = str(st.session_state.get(state.LOGIN_PASSWORD, ""))
    st.session_state[state.LOGIN_PASSWORD] = ""  # the password never outlives the login call in session state
    st.session_state.pop(state.LOGIN_NOTICE, None)
    st.session_state.pop(state.LOGIN_ERROR, None)
    if not username.strip() or not password:
        st.session_state[state.LOGIN_ERROR] = t("login.missing")
        return
    try:
        actor = users.authenticate(username=username, password=password)
    except AuthenticationFailed as error:
        st.session_state[state.LOGIN_ERROR] = localised(error.message)  # the lockout lives in the db
        return
    st.session_state[state.USER_ID] = actor.user_id
    st.session_state[state.WEB_SESSION] = web_sessions.start(actor)
    st.session_state[state.BIND_COOKIE] = True
    st.session_state[state.LAST_ACTIVITY] = time.time()
    for key in (state.LOGIN_USERNAME, state.LOGIN_PASSWORD):
        st.session_state.pop(key, None)


def _post(path: str, body: dict[str, str]) -> None:
    """Have the browser POST to one of the cookie routes of dashboard/server.py (only they can set a cookie)."""
    script = f"fetch({json.dumps(path)}, {{method: 'POST', credentials: 'same-origin', "
    script += f"headers: {{'Content-Type': 'application/json'}}, body: {json.dumps(json.dumps(body))}}});"
    with st.sidebar:
        st.html(f"<script>{script}</script>", unsafe_allow_javascript=True)


def bind_cookie() -> None:
    """Right after a login: hand the browser a one-time ticket for its cookie (the ticket is never kept here)."""
    web_id = st.session_state.get(state.WEB_SESSION)
    if st.session_state.pop(state.BIND_COOKIE, False) and web_id is not None:
        ticket = web_sessions.ticket(int(web_id))
        if ticket is not None:
            _post("/api/session", {"ticket": ticket})


def clear_cookie() -> None:
    """Right after a logout: the browser drops its (already revoked) cookie."""
    if st.session_state.pop(state.CLEAR_COOKIE, False):
        _post("/api/session/end", {})


def login_page() -> None:
    clear_cookie()
    st.title(t("login.heading"))
    notice = st.session_state.get(state.LOGIN_NOTICE)
    if notice:
        st.info(t(notice, minutes=get_settings().idle_timeout_minutes))
    error = st.session_state.get(state.LOGIN_ERROR)
    if error:
        st.error(error)
    with st.form("login_form"):
        st.caption(t("login.intro"))
        st.text_input(t("login.username"), key=state.LOGIN_USERNAME, autocomplete="username")
        st.text_input(t("login.password"), type="password", key=state.LOGIN_PASSWORD, autocomplete="current-password")
        st.form_submit_button(t("login.submit"), key="login_submit", on_click=_submit_login, type="primary")


def user_box(actor: Actor) -> None:
    """Sidebar: who is signed in, in which role, and the sign-out button."""
    with st.sidebar:
        st.markdown(t("sidebar.user", user=actor.username, role=t(f"role.{actor.role}")))
        st.button(t("sidebar.logout"), key="logout", on_click=sign_out, args=("login.signed_out",))


def require_page(script: str) -> Actor:
    """`require` with the permission the page registry gives the calling page script (pass `__file__`)."""
    return require(nav.spec_for(script).permission)
