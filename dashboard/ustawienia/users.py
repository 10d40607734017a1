"""Users and roles: the list, adding a user, changing a role, disabling an account.

The new user's password is read in the submit callback, emptied at once and passed straight to the service.
"""

from __future__ import annotations

import streamlit as st

from core.formatting import format_datetime
from core.models import UserCreate, UserPublic
from core.services import users
from core.types import OFFICE_ROLES, Role
from dashboard.auth import session_actor
from dashboard.components.errors import attempt, attempt_in_callback, show_kept_error
from dashboard.components.flash import flash
from dashboard.components.tables import show_table
from dashboard.i18n import relabelled, t

ADD_FIELDS = ("username", "full_name", "email", "role", "password")
ADD = {field: f"ustawienia_user_add_{field}" for field in ADD_FIELDS}
ADD_ERROR = "ustawienia_user_add_error"
PICK = "ustawienia_user_pick"
NEW_ROLE = "ustawienia_user_role"
ROLE_FOR = "ustawienia_user_role_for"  # the user whose role NEW_ROLE was filled with
DISABLE_ASKED = "ustawienia_user_disable_asked"  # the user a confirmation dialog is open for
CHANGE_ERROR = "ustawienia_user_change_error"
HEADERS = {
    "username": "ustawienia.users.col.username",
    "full_name": "ustawienia.users.col.full_name",
    "email": "ustawienia.users.col.email",
    "role": "ustawienia.users.col.role",
    "state": "ustawienia.users.col.state",
    "last_login": "ustawienia.users.col.last_login",
}


def _add() -> None:
    state = st.session_state
    password = str(state.get(ADD["password"]) or "")
    state[ADD["password"]] = ""  # never kept past this callback
    actor = session_actor()
    if actor is None:
        return
    data = UserCreate(
        username=str(state.get(ADD["username"]) or ""),
        full_name=str(state.get(ADD["full_name"]) or ""),
        email=str(state.get(ADD["email"]) or ""),
        role=str(state.get(ADD["role"]) or Role.analyst),
        password=password,
    )
    added = attempt_in_callback(lambda: users.add_user(actor=actor, data=data), error_key=ADD_ERROR)
    if added is not None:
        for field in ("username", "full_name", "email"):
            state[ADD[field]] = ""
        flash(t("ustawienia.users.added", user=added.username, role=t(f"role.{added.role}")))


def _set_role() -> None:
    actor = session_actor()
    username = st.session_state.get(PICK)
    if actor is None or not username:
        return
    role = str(st.session_state.get(NEW_ROLE) or "")
    changed = attempt_in_callback(
        lambda: users.set_role(actor=actor, username=str(username), role=role), error_key=CHANGE_ERROR
    )
    if changed is not None:
        flash(t("ustawienia.users.role_done", user=changed.username, role=t(f"role.{changed.role}")))


def _ask_disable() -> None:
    username = st.session_state.get(PICK)
    if username:
        st.session_state[DISABLE_ASKED] = str(username)


def _forget_disable() -> None:
    st.session_state.pop(DISABLE_ASKED, None)


def disable_dialog() -> None:
    """The confirmation, drawn on every run while one was asked for (kept in session state, as Klienci's archive)."""
    username = st.session_state.get(DISABLE_ASKED)
    if not username:
        return

    @st.dialog(t("ustawienia.users.disable_title"), on_dismiss=_forget_disable)
    def confirm() -> None:
        st.markdown(t("ustawienia.users.disable_question", user=username))
        yes_col, no_col = st.columns(2)
        if yes_col.button(t("ustawienia.users.disable_confirm"), key="ustawienia_user_disable_confirm", type="primary"):
            actor = session_actor()  # a dialog click reruns only the dialog: re-read the user
            if actor is None:
                st.rerun()
            disabled = attempt(lambda: users.disable_user(actor=actor, username=str(username)))
            if disabled is not None:
                _forget_disable()
                flash(t("ustawienia.users.disable_done", user=disabled.username))
                st.rerun()
        if no_col.button(t("ustawienia.users.disable_cancel"), key="ustawienia_user_disable_cancel"):
            _forget_disable()
            st.rerun()

    confirm()


def _row(user: UserPublic) -> dict[str, str]:
    if user.disabled_at is not None:
        state = t("ustawienia.users.disabled", date=format_datetime(user.disabled_at))
    else:
        state = t("ustawienia.users.active")
    return {
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "role": t(f"role.{user.role}"),
        "state": state,
        "last_login": format_datetime(user.last_login_at),
    }


def add_form() -> None:
    st.session_state.setdefault(ADD["role"], str(Role.analyst))
    with st.form("ustawienia_user_add_form"):
        name_col, full_col, email_col = st.columns(3)
        name_col.text_input(t("ustawienia.users.username"), key=ADD["username"], max_chars=64)
        full_col.text_input(t("ustawienia.users.full_name"), key=ADD["full_name"], max_chars=200)
        email_col.text_input(t("ustawienia.users.email"), key=ADD["email"], max_chars=254)
        role_col, password_col = st.columns(2)
        role_col.selectbox(
            t("ustawienia.users.role"), options=[str(r) for r in OFFICE_ROLES], format_func=lambda r: t(f"role.{r}"),
            key=relabelled(ADD["role"]),
            placeholder=t("common.choose"),
        )  # fmt: skip
        password_col.text_input(
            t("ustawienia.users.password"), type="password", key=ADD["password"], autocomplete="new-password"
        )
        st.form_submit_button(
            t("ustawienia.users.add"), key="ustawienia_user_add_submit", on_click=_add, type="primary"
        )
    show_kept_error(ADD_ERROR)


def change_form(found: list[UserPublic]) -> None:
    active = {user.username: user for user in found if user.disabled_at is None}
    if not active:
        return
    if st.session_state.get(PICK) not in active:
        st.session_state[PICK] = next(iter(active))
    pick_col, role_col = st.columns(2)
    username = pick_col.selectbox(
        t("ustawienia.users.pick"), options=list(active),
        format_func=lambda u: f"{u} — {t(f'role.{active[u].role}')}", key=PICK,
        placeholder=t("common.choose"),
    )  # fmt: skip
    if username is not None and (NEW_ROLE not in st.session_state or st.session_state.get(ROLE_FOR) != username):
        st.session_state[NEW_ROLE] = str(active[username].role)  # the picked user's role, once per pick
        st.session_state[ROLE_FOR] = username
    role_col.selectbox(
        t("ustawienia.users.new_role"), options=[str(r) for r in OFFICE_ROLES], format_func=lambda r: t(f"role.{r}"),
        key=relabelled(NEW_ROLE),
        placeholder=t("common.choose"),
    )  # fmt: skip
    role_button, disable_button = st.columns(2)
    role_button.button(t("ustawienia.users.set_role"), key="ustawienia_user_set_role", on_click=_set_role)
    disable_button.button(
        t("ustawienia.users.disable"), key="ustawienia_user_disable", on_click=_ask_disable, icon=":material/block:"
    )
    show_kept_error(CHANGE_ERROR)


def users_tab() -> None:
    actor = session_actor()
    if actor is None:
        return
    found = attempt(lambda: users.list_users(actor=actor)) or []
    show_table([_row(user) for user in found], HEADERS, key="ustawienia_users")
    st.subheader(t("ustawienia.users.change_title"))
    change_form(found)
    st.subheader(t("ustawienia.users.add_title"))
    add_form()
    disable_dialog()
