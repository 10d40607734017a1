"""Revoking a credential (it stops being used here at once), confirmed in a dialog opened from session state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

from core.security import Actor, Permission
from core.services.certificates import enrollment
from core.services.linking import credentials
from core.services.linking.credentials import CredentialPublic
from dashboard.certyfikaty.table import credential_label
from dashboard.components.confirm import ask, confirmation
from dashboard.i18n import t


def _ask(prefix: str) -> None:
    ask(f"{prefix}_revoke_id", st.session_state.get(f"{prefix}_revoke_pick"))


def revoke_picker(prefix: str, items: Sequence[CredentialPublic], client_names: Mapping[int, str]) -> None:
    if not items:
        return
    by_id = {c.id: c for c in items}
    pick_col, button_col = st.columns([4, 1], vertical_alignment="bottom")
    pick_col.selectbox(
        t("credential.revoke.pick"),
        options=list(by_id),
        format_func=lambda cid: credential_label(by_id[cid], client_names),
        key=f"{prefix}_revoke_pick",
        placeholder=t("common.choose"),
    )
    button_col.button(t("credential.revoke.button"), key=f"{prefix}_revoke", on_click=_ask, args=(prefix,))
    picked = by_id.get(st.session_state.get(f"{prefix}_revoke_pick"))  # type: ignore[arg-type]
    if picked is not None and picked.serial_number and picked.certificate_type:
        st.selectbox(
            t("credential.revoke.in_ksef"),
            options=["", *enrollment.REVOCATION_REASONS],
            format_func=lambda reason: t(f"credential.revoke.reason.{reason or 'here'}"),
            key=f"{prefix}_revoke_reason",
            help=t("credential.revoke.in_ksef_help"),
        )


def _revoke(actor: Actor, credential: CredentialPublic, reason: str) -> CredentialPublic:
    """Here only, or (a certificate, with a reason) in KSeF too."""
    if reason and credential.serial_number and credential.certificate_type:
        return enrollment.revoke_in_ksef(actor=actor, credential_id=credential.id, reason=reason)
    return credentials.revoke_credential(actor=actor, credential_id=credential.id)


def revoke_dialog(
    actor: Actor, prefix: str, items: Sequence[CredentialPublic], client_names: Mapping[int, str]
) -> None:
    chosen = st.session_state.get(f"{prefix}_revoke_id")
    credential = next((c for c in items if c.id == chosen), None)
    if credential is None or not actor.can(Permission.manage_credentials):
        return
    confirmation(
        f"{prefix}_revoke_id",
        credential.id,
        title=t("credential.revoke.title"),
        question=t("credential.revoke.question", credential=credential_label(credential, client_names)),
        confirm_label=t("credential.revoke.confirm"),
        key=f"{prefix}_revoke",
        run=lambda current: _revoke(current, credential, str(st.session_state.get(f"{prefix}_revoke_reason") or "")),
        done=lambda revoked: t("credential.revoke.done", label=revoked.label),
    )
