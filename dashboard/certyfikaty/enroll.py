"""Requesting a KSeF certificate through the API: the identity's limits first (a request that would use them up is
refused), then the name, type and key; the status is followed by a job and the certificate becomes a credential."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict

import streamlit as st

from core.formatting import format_datetime
from core.security import Actor
from core.services.certificates import enrollment
from core.services.certificates.enrollment import CertificateLimits
from core.services.linking import credentials
from core.types import AuthMethod, CertificateType, CredentialStatus
from dashboard.auth import session_actor
from dashboard.certyfikaty.table import credential_label
from dashboard.components.errors import attempt, attempt_in_callback, show_kept_error
from dashboard.components.flash import flash
from dashboard.i18n import localised, t

LIMITS = "enroll_limits"  # the last limits read from KSeF (numbers only)
NAME = "enroll_name"
TYPE = "enroll_type"
KEY = "enroll_key"
ERROR = "enroll_error"
SUBJECT = "enroll_subject"  # the enrollment data (the certificate's subject), public names only
IDENTITY = "enroll_identity"  # which authentication certificate acts (the office's by default, or a client's)


def _check_limits() -> None:
    actor = session_actor()
    if actor is None:
        return
    identity = st.session_state.get(IDENTITY)
    found = attempt_in_callback(
        lambda: enrollment.certificate_limits(actor=actor, identity_credential_id=identity), error_key=ERROR
    )
    if found is not None:
        st.session_state[LIMITS] = asdict(found)
        subject = attempt_in_callback(
            lambda: enrollment.subject_data(actor=actor, identity_credential_id=identity), error_key=ERROR
        )
        st.session_state[SUBJECT] = subject or {}


def _enroll() -> None:
    actor = session_actor()
    if actor is None:
        return
    name = str(st.session_state.get(NAME, ""))
    certificate_type = str(st.session_state.get(TYPE, CertificateType.Authentication))
    key_type = str(st.session_state.get(KEY, "EC"))
    identity = st.session_state.get(IDENTITY)
    started = attempt_in_callback(
        lambda: enrollment.enroll(
            actor=actor, name=name, certificate_type=certificate_type, key_type=key_type,
            identity_credential_id=identity,
        ),
        error_key=ERROR,
    )  # fmt: skip
    st.session_state.pop(LIMITS, None)  # one request used: read the limits again before the next
    if started is not None:
        st.session_state[NAME] = ""
        flash(t("enroll.sent", name=started.certificate_name))


def limits_section() -> CertificateLimits | None:
    st.button(t("enroll.check_limits"), key="enroll_check_limits", on_click=_check_limits, icon=":material/speed:")
    kept = st.session_state.get(LIMITS)
    if not kept:
        st.caption(t("enroll.limits_first"))
        return None
    limits = CertificateLimits(**kept)
    requests_col, certificates_col = st.columns(2)
    requests_col.metric(t("enroll.requests_left"), f"{limits.enrollment_remaining} / {limits.enrollment_limit}")
    certificates_col.metric(
        t("enroll.certificates_left"), f"{limits.certificate_remaining} / {limits.certificate_limit}"
    )
    st.caption(t("enroll.identity", label=limits.identity_label))
    subject = st.session_state.get(SUBJECT) or {}
    if subject:
        st.caption(t("enroll.subject", subject=", ".join(f"{key}={value}" for key, value in subject.items())))
    if limits.blocked_reason:
        st.warning(localised(limits.blocked_reason))
    return limits


def _forget_limits() -> None:
    st.session_state.pop(LIMITS, None)  # other identity, other limits
    st.session_state.pop(SUBJECT, None)


def identity_picker(actor: Actor, names: Mapping[int, str]) -> None:
    """The office's certificate by default; a client's own authentication certificate enrolls for that client."""
    found = attempt(lambda: credentials.list_credentials(actor=actor)) or []
    usable = {
        c.id: credential_label(c, names)
        for c in found
        if c.kind == AuthMethod.ksef_certificate and c.certificate_type == CertificateType.Authentication
        and c.shown_status not in {CredentialStatus.expired, CredentialStatus.revoked}
    }  # fmt: skip
    if len(usable) > 1:
        st.selectbox(
            t("enroll.identity_pick"), options=[None, *usable],
            format_func=lambda cid: t("enroll.identity_default") if cid is None else usable[cid],
            key=IDENTITY, on_change=_forget_limits,
        )  # fmt: skip


def enroll_form(actor: Actor, names: Mapping[int, str] | None = None) -> None:
    st.caption(t("enroll.help"))
    identity_picker(actor, names or {})
    limits = limits_section()
    st.text_input(t("enroll.name"), key=NAME, max_chars=100, placeholder=t("enroll.name_placeholder"))
    type_col, key_col = st.columns(2)
    type_col.radio(
        t("enroll.type"),
        options=list(CertificateType),
        format_func=lambda value: t(f"enroll.type.{value}"),
        key=TYPE,
    )
    key_col.radio(
        t("enroll.key"), options=list(enrollment.KEY_TYPES), format_func=lambda k: t(f"enroll.key.{k}"), key=KEY
    )
    st.button(
        t("enroll.submit"),
        key="enroll_submit",
        on_click=_enroll,
        type="primary",
        disabled=limits is None or bool(limits.blocked_reason),
        icon=":material/send:",
    )
    show_kept_error(ERROR)
    requests = attempt(lambda: enrollment.list_enrollments(actor=actor)) or []
    if requests:
        st.subheader(t("enroll.list"))
        st.dataframe(
            {
                t("enroll.col.name"): [r.certificate_name for r in requests],
                t("enroll.col.type"): [t(f"enroll.type.{r.certificate_type}") for r in requests],
                t("enroll.col.status"): [t(f"enrollment_status.{r.status}") for r in requests],
                t("enroll.col.requested"): [format_datetime(r.created_at) for r in requests],
                t("enroll.col.serial"): [r.serial_number for r in requests],
                t("enroll.col.message"): [localised(r.message) for r in requests],
            },
            hide_index=True,
            width="stretch",
            key="enroll_table",
        )
