"""The body of the Programy klientów page (pages/programy.py). Passwords typed here are cleared from their widgets
in the submit callbacks, so they never outlive the call in session state."""

from __future__ import annotations

import streamlit as st

from core.formatting import format_datetime
from core.security import Actor
from core.services.clients import register as clients
from core.services.clientside import access, invitations, programs
from dashboard.components.errors import attempt, attempt_in_callback, show_kept_error
from dashboard.components.flash import flash, show_flashes
from dashboard.components.tables import show_table
from dashboard.i18n import t

INVITE_EMAIL = "programy_invite_email"
INVITE_NAME = "programy_invite_name"
INVITE_ERROR = "programy_invite_error"
ADD_NAME = "programy_add_name"
ADD_PASSWORD = "programy_add_password"
ADD_ERROR = "programy_add_error"
RESET_PICK = "programy_reset_pick"
RESET_PASSWORD = "programy_reset_password"
RESET_ERROR = "programy_reset_error"
INVITATION_HEADERS = {
    "email": "programy.col.email",
    "state": "programy.col.state",
    "expires": "programy.col.expires",
    "sent": "programy.col.sent",
    "username": "programy.col.username",
}
PROGRAM_HEADERS = {
    "name": "programy.col.program",
    "last_contact": "programy.col.last_contact",
    "pushed": "programy.col.pushed",
    "pulled": "programy.col.pulled",
    "errors": "programy.col.errors",
    "state": "programy.col.link_state",
}


def office_programs(actor: Actor) -> None:
    """Before a client is chosen: every program link of the office, so a newcomer sees what is connected."""
    st.caption(t("programy.office_hint"))
    st.subheader(t("programy.office_programs"))
    rows = attempt(lambda: programs.list_programs(actor=actor)) or []
    if not rows:
        st.caption(t("programy.office_none"))
        return
    names: dict[int, str] = {}
    for client_id in {row.client_id for row in rows}:  # programs are few: one read per client that has one
        found = attempt(lambda: clients.get_client(actor=actor, client_id=client_id))  # noqa: B023 (called at once)
        names[client_id] = found.name if found is not None else "—"
    show_table(
        [{"client": names[row.client_id], **_program_row(row)} for row in rows],
        {"client": "programy.col.client", **PROGRAM_HEADERS},
        key="programy_office_table",
    )


def _program_row(row: programs.ProgramView) -> dict[str, object]:
    state = "removed" if row.removed_at else ("locked" if row.locked_until else "active")
    return {"name": row.name, "last_contact": format_datetime(row.last_contact_at) or "—", "pushed": row.pushed,
            "pulled": row.pulled, "errors": row.open_errors, "state": t(f"programy.state.{state}")}  # fmt: skip


def programs_page(actor: Actor, client_id: int, client_name: str) -> None:
    st.caption(t("programy.intro", client=client_name))
    show_flashes()
    _invitations(actor, client_id)
    _access(actor, client_id)
    _programs(actor, client_id)


def _invite(actor: Actor, client_id: int) -> None:
    email = str(st.session_state.get(INVITE_EMAIL, ""))
    name = str(st.session_state.get(INVITE_NAME, ""))
    sent = attempt_in_callback(
        lambda: invitations.invite(actor=actor, client_id=client_id, email=email, full_name=name),
        error_key=INVITE_ERROR,
    )
    if sent is not None:
        st.session_state[INVITE_EMAIL] = ""
        st.session_state[INVITE_NAME] = ""
        _mail_outcome(sent)


def _mail_outcome(sent: invitations.InvitationSent) -> None:
    if sent.mail_status == "sent":
        flash(t("programy.invite.sent", email=sent.invitation.email))
    else:
        st.session_state[INVITE_ERROR] = [t("programy.invite.mail_failed", email=sent.invitation.email)]


def _invitations(actor: Actor, client_id: int) -> None:
    st.subheader(t("programy.invitations"))
    show_kept_error(INVITE_ERROR)
    with st.form("programy_invite_form"):
        st.text_input(t("programy.invite.email"), key=INVITE_EMAIL)
        st.text_input(t("programy.invite.name"), key=INVITE_NAME)
        st.form_submit_button(t("programy.invite.submit"), key="programy_invite_submit", on_click=_invite,
                              args=(actor, client_id), type="primary")  # fmt: skip
    rows = attempt(lambda: invitations.list_invitations(actor=actor, client_id=client_id)) or []
    if not rows:
        st.caption(t("programy.no_invitations"))
        return
    show_table(
        [
            {"email": row.email, "state": t(f"invitation.state.{row.state}"),
             "expires": format_datetime(row.expires_at), "sent": row.sent_count, "username": row.username}
            for row in rows
        ],
        INVITATION_HEADERS,
        key="programy_invitations_table",
    )  # fmt: skip
    open_rows = {row.id: row.email for row in rows if row.state in ("pending", "expired")}
    if open_rows:
        chosen = st.selectbox(t("programy.invite.pick"), list(open_rows), format_func=open_rows.__getitem__,
                              key="programy_invite_pick")  # fmt: skip
        left, right = st.columns(2)
        if left.button(t("programy.invite.resend"), key="programy_resend") and chosen is not None:
            sent = attempt(lambda: invitations.resend(actor=actor, invitation_id=int(chosen)))
            if sent is not None:
                _mail_outcome(sent)
                st.rerun()
        revoke = right.button(t("programy.invite.revoke"), key="programy_revoke") and chosen is not None
        if revoke and attempt(lambda: invitations.revoke(actor=actor, invitation_id=int(chosen))) is not None:
            flash(t("programy.invite.revoked"))
            st.rerun()


def _access(actor: Actor, client_id: int) -> None:
    st.subheader(t("programy.access"))
    current = attempt(lambda: access.get_access(actor=actor, client_id=client_id))
    if current is None:
        return
    with st.form("programy_access_form"):
        view = st.toggle(t("client_access.view_documents"), value=current.view_documents, key="programy_view")
        send = st.toggle(t("client_access.send_invoices"), value=current.send_invoices, key="programy_send")
        own = st.toggle(t("client_access.authenticate_link"), value=current.authenticate_link, key="programy_auth")
        if st.form_submit_button(t("programy.access.save"), key="programy_access_save"):
            changed = attempt(
                lambda: access.set_access(actor=actor, client_id=client_id, view_documents=view, send_invoices=send,
                                          authenticate_link=own)
            )  # fmt: skip
            if changed is not None:
                flash(t("programy.access.saved"))
                st.rerun()


def _add_program(actor: Actor, client_id: int) -> None:
    name = str(st.session_state.get(ADD_NAME, ""))
    password = str(st.session_state.get(ADD_PASSWORD, ""))
    st.session_state[ADD_PASSWORD] = ""
    added = attempt_in_callback(
        lambda: programs.add_program(actor=actor, client_id=client_id, name=name, password=password),
        error_key=ADD_ERROR,
    )
    if added is not None:
        st.session_state[ADD_NAME] = ""
        flash(t("programy.program.added", name=added.name))


def _reset(actor: Actor) -> None:
    chosen = st.session_state.get(RESET_PICK)
    password = str(st.session_state.get(RESET_PASSWORD, ""))
    st.session_state[RESET_PASSWORD] = ""
    if chosen is None:
        return
    done = attempt_in_callback(
        lambda: programs.reset_password(actor=actor, program_id=int(chosen), password=password), error_key=RESET_ERROR
    )
    if done is not None:
        flash(t("programy.program.reset_done", name=done.name))


def _programs(actor: Actor, client_id: int) -> None:
    st.subheader(t("programy.programs"))
    rows = attempt(lambda: programs.list_programs(actor=actor, client_id=client_id)) or []
    if rows:
        show_table([_program_row(row) for row in rows], PROGRAM_HEADERS, key="programy_programs_table")
        for row in rows:
            if row.last_error and row.removed_at is None:
                st.caption(t("programy.program.last_error", name=row.name))
                st.text(row.last_error)
    else:
        st.caption(t("programy.no_programs"))
    show_kept_error(ADD_ERROR)
    with st.form("programy_add_form"):
        st.text_input(t("programy.program.name"), key=ADD_NAME)
        st.text_input(t("programy.program.password"), type="password", key=ADD_PASSWORD, autocomplete="new-password")
        st.form_submit_button(t("programy.program.add"), key="programy_add_submit", on_click=_add_program,
                              args=(actor, client_id))  # fmt: skip
    active = {row.id: row.name for row in rows if row.removed_at is None}
    if not active:
        return
    show_kept_error(RESET_ERROR)
    with st.form("programy_reset_form"):
        st.selectbox(t("programy.program.pick"), list(active), format_func=active.__getitem__, key=RESET_PICK)
        st.text_input(t("programy.program.new_password"), type="password", key=RESET_PASSWORD,
                      autocomplete="new-password")  # fmt: skip
        st.form_submit_button(t("programy.program.reset"), key="programy_reset_submit", on_click=_reset, args=(actor,))
    chosen = st.selectbox(t("programy.program.remove_pick"), list(active), format_func=active.__getitem__,
                          key="programy_remove_pick")  # fmt: skip
    if st.button(t("programy.program.remove"), key="programy_remove") and chosen is not None:
        removed = attempt(lambda: programs.remove_program(actor=actor, program_id=int(chosen)))
        if removed is not None:
            flash(t("programy.program.removed", name=removed.name))
            st.rerun()
