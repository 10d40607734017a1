"""The company key: shown and copyable, checked against a pasted key, revoked and reissued after a confirmation."""

from __future__ import annotations

import streamlit as st

from core.models import ClientPublic
from core.models.links import LinkOutcome
from core.security import Actor, Permission
from core.services.linking import keys as company_keys
from core.services.linking import links
from dashboard.auth import session_actor
from dashboard.components.confirm import ask, confirmation
from dashboard.components.errors import attempt, attempt_in_callback, show_kept_error
from dashboard.components.outcome import outcome_lines
from dashboard.i18n import localised, t

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
    if not actor.can(Permission.view_secrets_metadata):
        return  # the key lets a program act for the company: shown to the roles that see credentials
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
            st.success(localised(message))
        else:
            st.error(f"{localised(message)}  \n{t('klient.key.fix', fix=localised(fix))}")
    if actor.can(Permission.manage_clients) and client.archived_at is None:
        st.button(
            t("klient.key.reissue"),
            key="klient_key_reissue",
            on_click=ask,
            args=(REISSUE_ID, client.id),
            icon=":material/autorenew:",
        )


def reissue_dialog(actor: Actor, client: ClientPublic) -> None:
    """The confirmation, drawn on every run while one was asked for."""
    if not actor.can(Permission.manage_clients):
        return
    confirmation(
        REISSUE_ID,
        client.id,
        title=t("klient.key.reissue_title"),
        question=t("klient.key.reissue_question", name=client.name, nip=client.nip),
        confirm_label=t("klient.key.reissue_confirm"),
        key="klient_key_reissue",
        run=lambda current: links.reissue_key(actor=current, client_id=client.id),
        done=lambda result: _after_reissue(client, result[1]),
    )


def _after_reissue(client: ClientPublic, outcome: LinkOutcome | None) -> str:
    st.session_state.pop(CHECK_RESULT, None)  # a check of the old key no longer says anything
    done = t("klient.key.reissued", name=client.name)
    return done if outcome is None else " ".join([done, *outcome_lines(outcome)])
