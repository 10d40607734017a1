"""Qualified signature / seal and Trusted Profile: prepare the request, download it, sign it outside, upload it
within the challenge's ten minutes (a live countdown), or, on the simulator, sign it with a test certificate.

Only the unsigned request (no secret: a challenge and the client's NIP) and its deadline are kept in session state;
the signed file goes from the uploader straight to the service in the same callback, and the uploader is cleared.
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from core.models import ClientPublic
from core.security import Actor
from core.services.linking import signatures as signature
from core.types import KsefEnvironment, utcnow
from dashboard.auth import idle_expired, session_actor
from dashboard.components.errors import attempt_in_callback, show_kept_error
from dashboard.components.outcome import report_outcome
from dashboard.i18n import t

PENDING = "klient_signature"  # {client_id, method, xml, file_name, started_at, expires_at}
VERSION = "klient_signed_version"  # bumped to empty the uploader
ERROR = "klient_signature_error"
CONFIRM_PROD = "klient_connect_prod"


def _uploader_key() -> str:
    return f"klient_signed_file_{st.session_state.get(VERSION, 0)}"


def _clear_uploader() -> None:
    st.session_state.pop(_uploader_key(), None)
    st.session_state[VERSION] = int(st.session_state.get(VERSION, 0)) + 1


def _start(client_id: int, method: str) -> None:
    actor = session_actor()
    if actor is None:
        return
    confirmed = bool(st.session_state.get(CONFIRM_PROD, False))
    prepared = attempt_in_callback(
        lambda: signature.start_signature(
            actor=actor, client_id=client_id, method=method, confirm_production=confirmed
        ),
        error_key=ERROR,
    )
    if prepared is not None:
        st.session_state[PENDING] = {
            "client_id": client_id,
            "method": method,
            "xml": prepared.xml,
            "file_name": prepared.file_name,
            "started_at": utcnow(),
            "expires_at": prepared.expires_at,
        }


def _finish(client_id: int, method: str, signed: bytes) -> None:
    actor = session_actor()
    if actor is None:
        return
    outcome = report_outcome(
        lambda: signature.complete_signature(actor=actor, client_id=client_id, method=method, signed_xml=signed),
        error_key=ERROR,
    )
    if outcome is not None and outcome.ok:
        st.session_state.pop(PENDING, None)


def _submit_signed(client_id: int, method: str) -> None:
    uploaded = st.session_state.get(_uploader_key())
    if uploaded is None:
        st.session_state[ERROR] = [t("klient.signature.no_file")]
        return
    signed = uploaded.getvalue()
    _clear_uploader()
    _finish(client_id, method, signed)


def _sign_in_simulator(client_id: int, method: str) -> None:
    actor = session_actor()
    pending = st.session_state.get(PENDING)
    if actor is None or pending is None:
        return
    signed = attempt_in_callback(
        lambda: signature.sign_in_simulator(actor=actor, client_id=client_id, xml=str(pending["xml"])),
        error_key=ERROR,
    )
    if signed is not None:
        _finish(client_id, method, signed)


def _discard() -> None:
    st.session_state.pop(PENDING, None)


def signature_section(actor: Actor, client: ClientPublic, method: str) -> None:
    st.caption(t("klient.signature.help"))
    pending = st.session_state.get(PENDING)
    if pending is not None and (pending["client_id"] != client.id or pending["method"] != method):
        pending = None  # prepared for another client or method: start again
    if pending is None:
        st.button(
            t("klient.signature.start"),
            key="klient_signature_start",
            on_click=_start,
            args=(client.id, method),
            type="primary",
        )
        show_kept_error(ERROR)
        return
    expired = pending["expires_at"] <= utcnow()
    if expired:
        st.error(t("klient.signature.expired"))
    else:
        countdown(pending["started_at"], pending["expires_at"])
    st.download_button(
        t("klient.signature.download"),
        data=str(pending["xml"]),
        file_name=str(pending["file_name"]),
        mime="application/xml",
        key="klient_signature_download",
        on_click="ignore",
        icon=":material/download:",
    )
    st.file_uploader(t("klient.signature.upload"), type=["xml"], key=_uploader_key(), disabled=expired)
    send_col, sim_col, discard_col = st.columns(3)
    send_col.button(
        t("klient.signature.submit"),
        key="klient_signature_submit",
        on_click=_submit_signed,
        args=(client.id, method),
        disabled=expired,
        type="primary",
    )
    if client.environment == KsefEnvironment.SIM:
        sim_col.button(
            t("klient.signature.simulator"),
            key="klient_signature_simulator",
            on_click=_sign_in_simulator,
            args=(client.id, method),
            disabled=expired,
        )
    discard_col.button(
        t("klient.signature.discard") if not expired else t("klient.signature.again"),
        key="klient_signature_discard",
        on_click=_discard,
    )
    show_kept_error(ERROR)


def remaining_text(expires_at: datetime, now: datetime) -> str:
    seconds = max(0, int((expires_at - now).total_seconds()))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


@st.fragment(run_every=1.0)
def countdown(started_at: datetime, expires_at: datetime) -> None:
    """The challenge's remaining lifetime, redrawn every second; once it ends the whole page redraws."""
    if idle_expired():
        st.rerun(scope="app")
    now = utcnow()
    if expires_at <= now:
        st.rerun(scope="app")
    lifetime = max(1.0, (expires_at - started_at).total_seconds())
    left = max(0.0, (expires_at - now).total_seconds())
    st.progress(left / lifetime, text=t("klient.signature.left", time=remaining_text(expires_at, now)))
