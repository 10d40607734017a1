"""The credential list: kind, owner, subject, serial, validity with days left (coloured under 30), status."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

from core.formatting import format_date
from core.services.linking.credentials import CredentialPublic, status_name
from core.types import AuthMethod, CertificateType, utcnow
from dashboard.components.status import method_label
from dashboard.i18n import localised, t

WARN_DAYS = 30


def kind_label(credential: CredentialPublic) -> str:
    if credential.kind == AuthMethod.ksef_certificate:
        offline = credential.certificate_type == CertificateType.Offline
        return t("credential.kind.offline") if offline else t("credential.kind.authentication")
    return method_label(credential.kind)


def owner_label(credential: CredentialPublic, client_names: Mapping[int, str]) -> str:
    if credential.client_id is None:
        return t("owner.office_all")
    return client_names.get(credential.client_id, str(credential.client_id))


def days_left(credential: CredentialPublic) -> int | None:
    if credential.valid_to is None:
        return None
    return (credential.valid_to - utcnow()).days


def credential_label(credential: CredentialPublic, client_names: Mapping[int, str]) -> str:
    """One line naming a credential, for pickers."""
    parts = [kind_label(credential), credential.label, owner_label(credential, client_names)]
    if credential.valid_to is not None:
        parts.append(t("credential.valid_to_short", date=format_date(credential.valid_to)))
    return " · ".join(part for part in parts if part)


def credential_table(items: Sequence[CredentialPublic], client_names: Mapping[int, str], *, key: str) -> None:
    columns = {
        "kind": t("credential.col.kind"),
        "owner": t("credential.col.owner"),
        "valid_to": t("credential.col.valid_to"),
        "days_left": t("credential.col.days_left"),
        "status": t("credential.col.status"),
        "label": t("credential.col.label"),
        "serial": t("credential.col.serial"),
        "subject": t("credential.col.subject"),
    }
    rows = [
        {
            columns["kind"]: kind_label(c),
            columns["owner"]: owner_label(c, client_names),
            columns["valid_to"]: format_date(c.valid_to),
            columns["days_left"]: days_left(c),
            columns["status"]: localised(status_name(c.shown_status)),
            columns["label"]: c.label,
            columns["serial"]: c.serial_number,
            columns["subject"]: c.subject or c.subject_identifier or c.context_nip,
        }
        for c in items
    ]
    frame = pd.DataFrame(rows, columns=list(columns.values()))
    frame[columns["days_left"]] = frame[columns["days_left"]].astype("Int64")

    def warn(value: object) -> str:
        near = value is not None and not pd.isna(value) and int(value) < WARN_DAYS  # type: ignore[call-overload]
        return "color: #c62828; font-weight: bold" if near else ""

    styled = frame.style.map(warn, subset=[columns["days_left"]])
    st.dataframe(styled, hide_index=True, width="stretch", key=key)
