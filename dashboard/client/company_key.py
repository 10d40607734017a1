"""The company key: shown and copyable, checked against a pasted key, revoked and reissued after a confirmation."""

from __future__ import annotations

import streamlit as st

from core.models import ClientPublic
from core.security import Actor, Permission
from core.services import company_keys
from dashboard.auth import session_actor
from dashboard.components.errors import attempt, attempt_in_callback, show_kept_error
from dashboard.components.flash import flash
from dashboard.i18n import t

CHECK_INPUT = "klient_key_check"
CHECK_RESULT = "klient_key_result"  # (ok, message, fix): Polish sentences about a key, never a secret
CHECK_ERROR = "klient_key_error"
REISSUE_ID = "klient_key_reissue_id"


def _verify(client_id: int) -> None:
    actor = session_actor()
    if actor is None:
        return
    key = str(st.session_state.get(CHECK_INPUT, "")).strip()
    st.session_state.pop(CHECK_RESULT, None)
    if not key:
        st.session_state[CHECK_ERROR] = [t("klient.key.check_empty")]
        return
    result = attempt_in_callback(
        lambda: company_keys.verify_company_key(actor=actor, client_id=client_id, key=key), error_key=CHECK_ERROR
    )
    if result is not None:
        st.session_state[CHECK_RESULT] = (result.ok, result.message, result.fix)


def company_key_section(actor: Actor, client: ClientPublic) -> None:
    st.subheader(t("klient.key.title"))
    key = attempt(lambda: company_keys.get_company_key(actor=actor, client_id=client.id))
    if key is None:
        return
    st.caption(t("klient.key.help"))
    st.code(key, language=None)
    if not actor.can(Permission.run_operations):
        return
    input_col, button_col = st.columns([4, 1], vertical_alignment="bottom")
    input_col.text_input(t("klient.key.check_label"), key=CHECK_INPUT, placeholder=t("klient.key.check_placeholder"))
    button_col.button(t("klient.key.check"), key="klient_key_verify", on_click=_verify, args=(client.id,))
    show_kept_error(CHECK_ERROR)
    result = st.session_state.get(CHECK_RESULT)
    if result is not None:
        ok, message, fix = result
        if ok:
            st.success(message)
        else:
            st.error(f"{message}  \n{t('klient.key.fix', fix=fix)}")
    if actor.can(Permission.manage_clients) and client.archived_at is None:
        st.button(
            t("klient.key.reissue"),
            key="klient_key_reissue",
            on_click=_ask_reissue,
            args=(client.id,),
            icon=":material/autorenew:",
        )


def _ask_reissue(client_id: int) -> None:
    st.session_state[REISSUE_ID] = client_id


def _forget_reissue() -> None:
    st.session_state.pop(REISSUE_ID, None)


def reissue_dialog(actor: Actor, client: ClientPublic) -> None:
    """The confirmation, drawn on every run while one was asked for."""
    if st.session_state.get(REISSUE_ID) != client.id or not actor.can(Permission.manage_clients):
        return

    @st.dialog(t("klient.key.reissue_title"), on_dismiss=_forget_reissue)
    def confirm() -> None:
        st.markdown(t("klient.key.reissue_question", name=client.name, nip=client.nip))
        confirm_col, cancel_col = st.columns(2)
        if confirm_col.button(t("klient.key.reissue_confirm"), key="klient_key_reissue_confirm", type="primary"):
            current = session_actor()
            if current is None:
                st.rerun()
            fresh = attempt(lambda: company_keys.reissue_company_key(actor=current, client_id=client.id))
            if fresh is not None:
                _forget_reissue()
                st.session_state.pop(CHECK_RESULT, None)
                flash(t("klient.key.reissued", name=client.name))
                st.rerun()
        if cancel_col.button(t("common.cancel"), key="klient_key_reissue_cancel"):
            _forget_reissue()
            st.rerun()

    confirm()
