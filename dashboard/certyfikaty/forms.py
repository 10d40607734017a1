"""Adding a KSeF token and uploading a certificate (PEM/DER + key, or PKCS#12 + password), for one client or, on
the Certyfikaty page, for a client or the office chosen in the form. `prefix` is the page's widget-key prefix."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from core.formatting import format_date
from core.services.linking import credentials
from dashboard.auth import session_actor
from dashboard.components.errors import attempt_in_callback, show_kept_error
from dashboard.components.flash import flash
from dashboard.i18n import relabelled, t

OFFICE = 0  # the target of an office certificate in pickers (client ids start at 1)
FORMATS = ("pem", "p12")


def _target(prefix: str, what: str, fixed: int | None) -> int | None:
    """The client the form is for: fixed by the page, or picked in it (OFFICE = the office)."""
    if fixed is not None:
        return fixed
    chosen = st.session_state.get(f"{prefix}_{what}_target")
    return None if chosen in (None, OFFICE) else int(chosen)


def _version(prefix: str) -> int:
    return int(st.session_state.get(f"{prefix}_cert_version", 0))


def _file_key(prefix: str, name: str) -> str:
    return f"{prefix}_cert_{name}_{_version(prefix)}"


def _add_token(prefix: str, fixed: int | None) -> None:
    token = str(st.session_state.get(f"{prefix}_token_value", ""))
    st.session_state[f"{prefix}_token_value"] = ""  # the token leaves session state before anything else happens
    actor = session_actor()
    error_key = f"{prefix}_token_error"
    if actor is None:
        return
    client_id = _target(prefix, "token", fixed)
    if client_id is None:
        st.session_state[error_key] = [t("credential.token.pick_client")]
        return
    label = str(st.session_state.get(f"{prefix}_token_label", ""))
    added = attempt_in_callback(
        lambda: credentials.add_ksef_token(actor=actor, client_id=client_id, token=token, label=label),
        error_key=error_key,
    )
    if added is not None:
        st.session_state[f"{prefix}_token_label"] = ""
        flash(t("credential.token.added", label=added.label))


def token_form(prefix: str, *, client_id: int | None = None, targets: Mapping[int, str] | None = None) -> None:
    if client_id is None and targets is not None:
        st.selectbox(
            t("credential.form.client"),
            options=list(targets),
            format_func=targets.__getitem__,
            index=None,
            placeholder=t("credential.form.client_placeholder"),
            key=f"{prefix}_token_target",
        )
    st.text_input(
        t("credential.token.value"),
        type="password",
        key=f"{prefix}_token_value",
        help=t("credential.token.value_help"),
        autocomplete="off",
    )
    st.text_input(t("credential.form.label"), key=f"{prefix}_token_label", max_chars=200)
    st.button(t("credential.token.submit"), key=f"{prefix}_token_submit", on_click=_add_token, args=(prefix, client_id))
    show_kept_error(f"{prefix}_token_error")


def _upload(prefix: str, fixed: int | None) -> None:
    """Read the files and the password, empty the widgets, hand everything to the service in this call."""
    password = str(st.session_state.get(f"{prefix}_cert_password", "")) or None
    st.session_state[f"{prefix}_cert_password"] = ""
    files = {name: st.session_state.get(_file_key(prefix, name)) for name in ("certificate", "key", "pkcs12")}
    data = {name: (None if uploaded is None else uploaded.getvalue()) for name, uploaded in files.items()}
    for name in files:
        st.session_state.pop(_file_key(prefix, name), None)
    st.session_state[f"{prefix}_cert_version"] = _version(prefix) + 1  # new, empty uploaders
    actor = session_actor()
    error_key = f"{prefix}_cert_error"
    if actor is None:
        return
    client_id = _target(prefix, "cert", fixed)
    if fixed is None and st.session_state.get(f"{prefix}_cert_target") is None:
        st.session_state[error_key] = [t("credential.cert.pick_owner")]
        return
    pkcs12 = st.session_state.get(f"{prefix}_cert_format") == "p12"
    label = str(st.session_state.get(f"{prefix}_cert_label", ""))
    authentication = bool(st.session_state.get(f"{prefix}_cert_authentication", True))
    added = attempt_in_callback(
        lambda: credentials.add_certificate(
            actor=actor,
            client_id=client_id,
            certificate=None if pkcs12 else data["certificate"],
            private_key=None if pkcs12 else data["key"],
            pkcs12_data=data["pkcs12"] if pkcs12 else None,
            password=password,
            label=label,
            for_authentication=authentication,
        ),
        error_key=error_key,
    )
    if added is not None:
        st.session_state[f"{prefix}_cert_label"] = ""
        flash(
            t(
                "credential.cert.added",
                label=added.label,
                serial=added.serial_number,
                valid_to=format_date(added.valid_to),
            )
        )


def certificate_form(prefix: str, *, client_id: int | None = None, targets: Mapping[int, str] | None = None) -> None:
    """`targets` (Certyfikaty page) maps OFFICE and client ids to names; without it the form is for `client_id`."""
    if client_id is None and targets is not None:
        st.selectbox(
            t("credential.cert.owner"),
            options=list(targets),
            format_func=targets.__getitem__,
            index=None,
            placeholder=t("credential.form.client_placeholder"),
            key=f"{prefix}_cert_target",
        )
    chosen = st.radio(
        t("credential.cert.format"),
        options=FORMATS,
        format_func=lambda name: t(f"credential.cert.format_{name}"),
        key=relabelled(f"{prefix}_cert_format"),
        horizontal=True,
    )
    if chosen == "p12":
        st.file_uploader(t("credential.cert.pkcs12"), type=["p12", "pfx"], key=_file_key(prefix, "pkcs12"))
        password_label = t("credential.cert.password_p12")
    else:
        file_col, key_col = st.columns(2)
        file_col.file_uploader(
            t("credential.cert.certificate"), type=["pem", "crt", "cer", "der"], key=_file_key(prefix, "certificate")
        )
        key_col.file_uploader(t("credential.cert.key"), type=["pem", "key", "der"], key=_file_key(prefix, "key"))
        password_label = t("credential.cert.password_key")
    st.text_input(password_label, type="password", key=f"{prefix}_cert_password", autocomplete="off")
    st.text_input(t("credential.form.label"), key=f"{prefix}_cert_label", max_chars=200)
    st.checkbox(
        t("credential.cert.authentication"),
        value=True,
        key=f"{prefix}_cert_authentication",
        help=t("credential.cert.authentication_help"),
    )
    st.button(t("credential.cert.submit"), key=f"{prefix}_cert_submit", on_click=_upload, args=(prefix, client_id))
    show_kept_error(f"{prefix}_cert_error")


def missing_certificate_form(prefix: str, *, client_id: int | None = None) -> None:
    """Issue 12 #3: where an operation needs a certificate and finds none, the upload is offered right there (for
    the office, or for `client_id`); after it succeeds the page runs again and the operation goes on with it."""
    with st.expander(t("credential.cert.missing_here"), expanded=True, icon=":material/upload_file:"):
        st.caption(t("credential.cert.missing_help"))
        if client_id is None:
            st.session_state.setdefault(f"{prefix}_cert_target", OFFICE)
            certificate_form(prefix, targets={OFFICE: t("owner.office_all")})
        else:
            certificate_form(prefix, client_id=client_id)
