"""Moja firma: the company authenticates its own KSeF link by qualified signature / seal or Trusted Profile, when the
office allows it. The same flow as the Klient page's, shorter: prepare the request, download it, sign it outside,
upload it within the challenge's ten minutes (on the simulator: sign it with a test seal). Only the unsigned request
(a challenge and the NIP, no secret) and its deadline are kept in session state."""

from __future__ import annotations

import streamlit as st

from core.formatting import format_datetime
from core.security import Actor
from core.services.clientside import my_company
from core.types import KsefEnvironment, utcnow
from dashboard.components.errors import attempt_in_callback, show_kept_error
from dashboard.components.flash import flash
from dashboard.i18n import localised, t

PENDING = "moja_firma_signature"
METHOD = "moja_firma_sig_method"
UPLOAD = "moja_firma_sig_file"
ERROR = "moja_firma_sig_error"
METHODS = ("qualified_signature", "trusted_profile")


def _start(actor: Actor) -> None:
    method = str(st.session_state.get(METHOD) or METHODS[0])
    prepared = attempt_in_callback(lambda: my_company.start_signature(actor=actor, method=method), error_key=ERROR)
    if prepared is not None:
        st.session_state[PENDING] = {"method": method, "xml": prepared.xml, "file_name": prepared.file_name,
                                     "expires_at": prepared.expires_at}  # fmt: skip


def _finish(actor: Actor, signed: bytes) -> None:
    pending = st.session_state.get(PENDING)
    if pending is None:
        return
    outcome = attempt_in_callback(
        lambda: my_company.complete_signature(actor=actor, method=str(pending["method"]), signed_xml=signed),
        error_key=ERROR,
    )
    if outcome is None:
        return
    if outcome.ok:
        st.session_state.pop(PENDING, None)
        flash(t("moja_firma.sig.done"))
    else:
        st.session_state[ERROR] = [localised(outcome.message)]


def _submit(actor: Actor) -> None:
    uploaded = st.session_state.get(UPLOAD)
    st.session_state.pop(UPLOAD, None)
    if uploaded is None:
        st.session_state[ERROR] = [t("klient.signature.no_file")]
        return
    _finish(actor, uploaded.getvalue())


def _simulator(actor: Actor) -> None:
    pending = st.session_state.get(PENDING)
    if pending is None:
        return
    signed = attempt_in_callback(
        lambda: my_company.sign_in_simulator(actor=actor, xml=str(pending["xml"])), error_key=ERROR
    )
    if signed is not None:
        _finish(actor, signed)


def signature_section(actor: Actor, environment: str) -> None:
    st.subheader(t("moja_firma.sig.heading"))
    st.caption(t("klient.signature.help"))
    pending = st.session_state.get(PENDING)
    if pending is None:
        st.radio(t("moja_firma.sig.method"), METHODS, format_func=lambda m: t(f"auth_method.{m}"), key=METHOD,
                 horizontal=True)  # fmt: skip
        st.button(t("klient.signature.start"), key="moja_firma_sig_start", on_click=_start, args=(actor,))
        show_kept_error(ERROR)
        return
    expired = pending["expires_at"] <= utcnow()
    st.caption(t("moja_firma.sig.until", when=format_datetime(pending["expires_at"], seconds=True)))
    st.download_button(t("klient.signature.download"), data=str(pending["xml"]), file_name=str(pending["file_name"]),
                       mime="application/xml", key="moja_firma_sig_download", on_click="ignore")  # fmt: skip
    st.file_uploader(t("klient.signature.upload"), type=["xml"], key=UPLOAD, disabled=expired)
    left, middle, right = st.columns(3)
    left.button(t("klient.signature.submit"), key="moja_firma_sig_submit", on_click=_submit, args=(actor,),
                disabled=expired, type="primary")  # fmt: skip
    if environment == KsefEnvironment.SIM:
        middle.button(t("klient.signature.simulator"), key="moja_firma_sig_simulator", on_click=_simulator,
                      args=(actor,), disabled=expired)  # fmt: skip
    label = t("klient.signature.again") if expired else t("klient.signature.discard")
    right.button(label, key="moja_firma_sig_discard", on_click=lambda: st.session_state.pop(PENDING, None))
    show_kept_error(ERROR)
