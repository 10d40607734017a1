"""Enumerations of the domain vocabulary (DESIGN.md §2) and column types shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa


class Role(StrEnum):
    manager = "manager"
    support = "support"
    analyst = "analyst"
    client = "client"  # a person of one client company (DESIGN.md §3 K)


OFFICE_ROLES: tuple[Role, ...] = (Role.manager, Role.support, Role.analyst)  # the office's staff; never `client`


class KsefEnvironment(StrEnum):
    PROD = "PROD"
    DEMO = "DEMO"
    TEST = "TEST"
    SIM = "SIM"


class LinkStatus(StrEnum):
    not_linked = "not_linked"
    linked = "linked"
    degraded = "degraded"
    action_required = "action_required"
    error = "error"
    unlinked = "unlinked"


class AuthMethod(StrEnum):
    ksef_token = "ksef_token"
    ksef_certificate = "ksef_certificate"
    qualified_signature = "qualified_signature"
    trusted_profile = "trusted_profile"


class CredentialSource(StrEnum):
    client = "client"
    office = "office"


class CertificateType(StrEnum):
    Authentication = "Authentication"
    Offline = "Offline"


class CredentialStatus(StrEnum):
    # authentication certificates (DESIGN.md §3 B.5)
    submitted = "submitted"
    accepted = "accepted"
    authorized = "authorized"
    auth_failed = "auth_failed"
    # offline certificates
    added = "added"
    missing = "missing"
    # tokens and signature sessions
    active = "active"
    revoked = "revoked"
    expired = "expired"


class SubjectType(StrEnum):
    Subject1 = "Subject1"  # the client is the seller: sales
    Subject2 = "Subject2"  # the client is the buyer: purchases


class InvoiceStatus(StrEnum):
    received = "received"
    queued = "queued"
    sending = "sending"
    accepted = "accepted"
    duplicate = "duplicate"
    rejected = "rejected"
    failed = "failed"


class UsageKind(StrEnum):
    invoice_sent = "invoice_sent"
    invoice_received = "invoice_received"


class EnrollmentStatus(StrEnum):
    """A certificate enrollment (issue 12 #1): key sealed → sent to KSeF → the certificate active as a credential."""

    prepared = "prepared"
    requested = "requested"
    active = "active"
    failed = "failed"


class MigrationStatus(StrEnum):
    """A token client's step in the "Wygaszanie tokenów" campaign."""

    not_contacted = "not_contacted"
    instruction_sent = "instruction_sent"
    rights_granted = "rights_granted"
    switched = "switched"


class ProblemClass(StrEnum):
    missing_rights = "missing_rights"
    wrong_company_key = "wrong_company_key"
    network = "network"
    ksef_unavailable = "ksef_unavailable"
    rate_limited = "rate_limited"
    invalid_credentials = "invalid_credentials"
    auth_required = "auth_required"
    invalid_invoice = "invalid_invoice"
    duplicate = "duplicate"
    quota_exhausted = "quota_exhausted"
    internal = "internal"
    client_program = "client_program"  # a client's own program sent what the office cannot take (intake API)


class ProblemStatus(StrEnum):
    open = "open"
    closed = "closed"


class JobStatus(StrEnum):
    pending = "pending"
    running = "running"
    done = "done"
    dead = "dead"
    held = "held"
    cancelled = "cancelled"


class PackagePolicy(StrEnum):
    warn = "warn"
    hold = "hold"


class NotificationKind(StrEnum):
    cert_expiring_30 = "cert_expiring_30"
    cert_expiring_14 = "cert_expiring_14"
    cert_expiring_7 = "cert_expiring_7"
    auth_failed = "auth_failed"
    rights_missing = "rights_missing"
    sync_failing = "sync_failing"
    package_80 = "package_80"
    package_100 = "package_100"
    token_sunset = "token_sunset"


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite hands back naive values otherwise)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class EnumText(sa.types.TypeDecorator[StrEnum]):
    """A StrEnum stored as its text value (a plain VARCHAR, so no database enum type to migrate) and read back as
    the enum member, so rows carry `JobStatus.done`, never the bare string."""

    impl = sa.String
    cache_ok = True

    def __init__(self, enum: type[StrEnum], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: StrEnum | str | None, dialect: Any) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: Any) -> StrEnum | None:
        return None if value is None else self.enum(value)


def utcnow() -> datetime:
    return datetime.now(UTC)
