"""Link actions on the Klient page: connect with a method and a credential, verify now, use this company's key,
unlink (manager, after a confirmation). Each runs in place: it is one client and a few KSeF calls."""

from __future__ import annotations

import streamlit as st

from core.formatting import format_date
from core.models import ClientPublic
from core.models.links import LinkRequest
from core.security import Actor, Permission
from core.services.linking import credentials, links
from core.services.linking.detail import LinkDetails
from core.types import AuthMethod, CertificateType, KsefEnvironment
from dashboard.auth import session_actor
from dashboard.certyfikaty.forms import missing_certificate_form
from dashboard.components.confirm import ask, confirmation
from dashboard.components.errors import attempt, show_kept_error
from dashboard.components.outcome import report_outcome
from dashboard.components.status import method_label
from dashboard.i18n import relabelled, t
from dashboard.klient.signature import signature_section

METHOD = "klient_connect_method"
CREDENTIAL = "klient_connect_credential"
ENVIRONMENT = "klient_connect_environment"
SEND = "klient_connect_send"
CONFIRM_PROD = "klient_connect_prod"
ERROR = "klient_link_error"
UNLINK_ID = "klient_unlink_id"
LOADED_FOR = "klient_connect_client"  # the client whose link filled the connect fields
SIGNATURE_METHODS = (AuthMethod.qualified_signature, AuthMethod.trusted_profile)


def _connect(client_id: int) -> None:
    actor = session_actor()
    if actor is None:
        return
    credential = st.session_state.get(CREDENTIAL)
    request = LinkRequest(
        auth_method=str(st.session_state.get(METHOD)),
        environment=st.session_state.get(ENVIRONMENT) or None,
        credential_id=int(credential) if credential else None,
        send_enabled=bool(st.session_state.get(SEND, False)),
        confirm_production=bool(st.session_state.get(CONFIRM_PROD, False)),
    )
    report_outcome(lambda: links.connect_client(actor=actor, client_id=client_id, request=request), error_key=ERROR)
    st.session_state[CONFIRM_PROD] = False  # a confirmation is given for one attempt


def _verify(client_id: int) -> None:
    actor = session_actor()
    if actor is not None:
        report_outcome(lambda: links.verify_link(actor=actor, client_id=client_id), error_key=ERROR)


def _use_current_key(client_id: int) -> None:
    actor = session_actor()
    if actor is not None:
        report_outcome(lambda: links.use_current_key(actor=actor, client_id=client_id), error_key=ERROR)


def _credential_options(actor: Actor, client: ClientPublic, method: str) -> dict[int | None, str]:
    """The credentials that fit the method: the client's own and the office's (for certificates)."""
    found = attempt(lambda: credentials.list_credentials(actor=actor, client_id=client.id)) or []
    options: dict[int | None, str] = {None: t("klient.connect.credential_default")}
    for credential in found:
        if credential.kind != method or credential.certificate_type == CertificateType.Offline:
            continue
        owner = t("owner.office") if credential.client_id is None else t("owner.client")
        valid = t("klient.connect.valid_to", date=format_date(credential.valid_to)) if credential.valid_to else ""
        options[credential.id] = " · ".join(part for part in (credential.label, owner, valid) if part)
    return options


def connect_section(actor: Actor, client: ClientPublic, link: LinkDetails | None) -> None:
    st.subheader(t("klient.connect.title"))
    if client.archived_at is not None:
        st.caption(t("klient.connect.archived"))
        return
    if st.session_state.get(LOADED_FOR) != client.id:
        # Another client: its own link fills the fields; nothing chosen for the previous client carries over.
        for key in (METHOD, CREDENTIAL, ENVIRONMENT, SEND, CONFIRM_PROD, ERROR):
            st.session_state.pop(key, None)
        if link is not None:
            st.session_state[METHOD] = link.auth_method
            st.session_state[SEND] = link.send_enabled
        st.session_state[LOADED_FOR] = client.id
    method = st.selectbox(
        t("klient.connect.method"),
        options=list(AuthMethod),
        format_func=method_label,
        key=relabelled(METHOD),
        placeholder=t("common.choose"),
    )
    if method in SIGNATURE_METHODS:  # a signature always authenticates in the client's own environment
        if client.environment == KsefEnvironment.PROD:
            st.checkbox(t("connect.confirm_prod"), key=CONFIRM_PROD)
        signature_section(actor, client, str(method))
        show_kept_error(ERROR)
        return
    environment = st.selectbox(
        t("klient.connect.environment"),
        options=["", *KsefEnvironment],
        format_func=lambda env: env or t("klient.connect.environment_client", environment=client.environment),
        key=relabelled(ENVIRONMENT),
        placeholder=t("common.choose"),
    )
    if (environment or client.environment) == KsefEnvironment.PROD:
        st.checkbox(t("connect.confirm_prod"), key=CONFIRM_PROD)
    options = _credential_options(actor, client, str(method))
    if method == AuthMethod.ksef_certificate and len(options) == 1 and actor.can(Permission.manage_credentials):
        missing_certificate_form("klient_missing", client_id=client.id)  # no certificate yet: upload it here
    if st.session_state.get(CREDENTIAL) not in options:
        st.session_state.pop(CREDENTIAL, None)
    st.selectbox(
        t("klient.connect.credential"),
        options=list(options),
        format_func=options.__getitem__,
        key=CREDENTIAL,
        placeholder=t("common.choose"),
    )
    st.checkbox(t("connect.send_enabled"), key=SEND, help=t("connect.send_enabled_help"))
    st.button(t("klient.connect.submit"), key="klient_connect", on_click=_connect, args=(client.id,), type="primary")
    show_kept_error(ERROR)


def actions_section(actor: Actor, client: ClientPublic, link: LinkDetails | None) -> None:
    """Verify now, use this company's key, unlink: for a client that has a link."""
    if link is None or client.archived_at is not None:
        return
    st.subheader(t("klient.actions.title"))
    verify_col, key_col, unlink_col = st.columns(3)
    verify_col.button(
        t("klient.actions.verify"), key="klient_verify", on_click=_verify, args=(client.id,), icon=":material/sync:"
    )
    key_col.button(
        t("klient.actions.use_key"),
        key="klient_use_key",
        on_click=_use_current_key,
        args=(client.id,),
        icon=":material/key:",
        help=t("klient.actions.use_key_help"),
    )
    if actor.can(Permission.archive_clients):
        unlink_col.button(
            t("klient.actions.unlink"),
            key="klient_unlink",
            on_click=ask,
            args=(UNLINK_ID, client.id),
            icon=":material/link_off:",
        )


def unlink_dialog(actor: Actor, client: ClientPublic) -> None:
    if not actor.can(Permission.archive_clients):
        return
    confirmation(
        UNLINK_ID,
        client.id,
        title=t("klient.unlink.title"),
        question=t("klient.unlink.question", name=client.name, nip=client.nip),
        confirm_label=t("klient.unlink.confirm"),
        key="klient_unlink",
        run=lambda current: links.unlink_client(actor=current, client_id=client.id),
        done=lambda _status: t("klient.unlink.done", name=client.name),
    )
