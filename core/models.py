"""SQLModel tables of the console (DESIGN.md §2 vocabulary).

Layering follows the FastAPI template: `XBase` holds the fields a user may set, `XCreate`/`XUpdate` are the inputs of
services, the table class adds keys and bookkeeping, `XPublic` is what leaves a service. Secrets live only in
`*_ciphertext` columns, encrypted by `core.crypto` and bound to their row.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.types import (
    AuthMethod,
    CertificateType,
    CredentialSource,
    CredentialStatus,
    InvoiceStatus,
    JobStatus,
    KsefEnvironment,
    LinkStatus,
    NotificationKind,
    PackagePolicy,
    ProblemClass,
    ProblemStatus,
    Role,
    SubjectType,
    UsageKind,
    UtcDateTime,
    utcnow,
)

# Alembic and `alembic check` compare against these names; keep them stable.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)


def _when(index: bool = False) -> Any:
    return Field(default=None, sa_type=UtcDateTime, index=index)


# --- office, package, users ----


class Office(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    nip: str = Field(max_length=10)
    account_id: str = Field(max_length=40, unique=True)  # the office master account (konto firmy głównej)
    default_environment: str = Field(default=KsefEnvironment.SIM, sa_type=sa.String(8))
    sync_interval_minutes: int = 60
    schedule: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    created_at: datetime = _created()


class Package(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id", unique=True)
    name: str = Field(default="KSeF", max_length=100)
    monthly_limit: int = 10_000
    billing_day: int = 1  # 1–28: the day a new package month starts
    exhausted_policy: str = Field(default=PackagePolicy.warn, sa_type=sa.String(8))
    updated_at: datetime = _created()


class UserBase(SQLModel):
    username: str = Field(sa_type=sa.String(64), unique=True)
    full_name: str = Field(default="", sa_type=sa.String(200))
    email: str = Field(default="", sa_type=sa.String(254))
    role: str = Field(default=Role.analyst, sa_type=sa.String(16))
    language: str = Field(default="pl", sa_type=sa.String(2))


class UserCreate(UserBase):
    password: str


class User(UserBase, table=True):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id", index=True)
    password_hash: str = Field(max_length=255)
    failed_logins: int = 0
    locked_until: datetime | None = _when()
    last_login_at: datetime | None = _when()
    disabled_at: datetime | None = _when()
    created_at: datetime = _created()


class UserPublic(UserBase):
    id: int
    office_id: int
    disabled_at: datetime | None = None
    last_login_at: datetime | None = None


# --- clients, company keys, credentials, links ----


class ClientBase(SQLModel):
    nip: str = Field(sa_type=sa.String(10))
    name: str = Field(sa_type=sa.String(300))
    email: str = Field(default="", sa_type=sa.String(254))
    erp_id: str = Field(default="", sa_type=sa.String(100))
    environment: str = Field(default=KsefEnvironment.SIM, sa_type=sa.String(8))
    notes: str = Field(default="", sa_type=sa.String(2000))


class ClientCreate(ClientBase):
    pass


class ClientUpdate(SQLModel):
    name: str | None = None
    email: str | None = None
    erp_id: str | None = None
    environment: str | None = None
    notes: str | None = None


class Client(ClientBase, table=True):
    __table_args__ = (sa.UniqueConstraint("office_id", "nip"),)

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id", index=True)
    link_status: str = Field(default=LinkStatus.not_linked, sa_type=sa.String(16), index=True)
    archived_at: datetime | None = _when(index=True)
    created_at: datetime = _created()
    updated_at: datetime = _created()


class ClientPublic(ClientBase):
    id: int
    office_id: int
    link_status: str
    archived_at: datetime | None = None
    created_at: datetime


class CompanyKey(SQLModel, table=True):
    """One issued company key `<officeAccountId>;<companyId>;<NIP>`; reissuing revokes the old row."""

    __tablename__ = "company_key"
    __table_args__ = (sa.UniqueConstraint("office_id", "company_id"),)

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id")
    client_id: int = Field(foreign_key="client.id", index=True)
    company_id: str = Field(max_length=40)
    issued_at: datetime = _created()
    revoked_at: datetime | None = _when()


class Credential(SQLModel, table=True):
    """A way into KSeF: a token, a certificate with its key, or a signature session.

    `client_id` is null for an office credential that serves every client that granted the office rights.
    """

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id", index=True)
    client_id: int | None = Field(default=None, foreign_key="client.id", index=True)
    kind: str = Field(sa_type=sa.String(24))  # AuthMethod
    source: str = Field(default=CredentialSource.client, sa_type=sa.String(8))
    label: str = Field(default="", max_length=200)
    status: str = Field(default=CredentialStatus.active, sa_type=sa.String(16))
    secret_ciphertext: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    certificate_pem: str | None = Field(default=None, sa_type=sa.Text)
    certificate_type: str | None = Field(default=None, sa_type=sa.String(16))  # CertificateType
    subject: str = Field(default="", max_length=500)
    subject_identifier: str = Field(default="", max_length=64)  # NIP / PESEL / fingerprint
    serial_number: str = Field(default="", max_length=64)
    fingerprint: str = Field(default="", max_length=64, index=True)
    context_nip: str = Field(default="", max_length=10)  # the context a KSeF token is bound to
    valid_from: datetime | None = _when()
    valid_to: datetime | None = _when(index=True)
    last_used_at: datetime | None = _when()
    created_at: datetime = _created()
    revoked_at: datetime | None = _when()


class Link(SQLModel, table=True):
    """The client's way into its KSeF context; an unlinked row stays as history."""

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    credential_id: int | None = Field(default=None, foreign_key="credential.id", index=True)
    environment: str = Field(sa_type=sa.String(8))
    auth_method: str = Field(sa_type=sa.String(24))
    company_key: str = Field(default="", max_length=120)
    send_enabled: bool = False  # sending is configured, so InvoiceWrite is needed
    key_verified_at: datetime | None = _when()
    last_attempt_at: datetime | None = _when()
    last_success_at: datetime | None = _when()
    permissions: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    permissions_checked_at: datetime | None = _when()
    reauth_due_at: datetime | None = _when()  # signature methods: when the refresh token runs out
    created_at: datetime = _created()
    unlinked_at: datetime | None = _when()


class KsefSession(SQLModel, table=True):
    """Access/refresh tokens per (client, credential), shared by all workers; both tokens encrypted."""

    __tablename__ = "ksef_session"
    __table_args__ = (sa.UniqueConstraint("client_id", "credential_id"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id")
    credential_id: int = Field(foreign_key="credential.id", index=True)
    access_ciphertext: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    access_valid_until: datetime | None = _when()
    refresh_ciphertext: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    refresh_valid_until: datetime | None = _when()
    auth_reference: str = Field(default="", max_length=40)
    updated_at: datetime = _created()


# --- invoices, sync, usage ----


class Invoice(SQLModel, table=True):
    """Invoice metadata kept locally; screens read this, never KSeF."""

    __table_args__ = (
        sa.UniqueConstraint("client_id", "ksef_number"),
        sa.Index("ix_invoice_client_subject_storage", "client_id", "subject_type", "permanent_storage_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id")
    subject_type: str = Field(sa_type=sa.String(10))  # SubjectType: Subject1 sales, Subject2 purchases
    status: str = Field(default=InvoiceStatus.received, sa_type=sa.String(10), index=True)
    ksef_number: str | None = Field(default=None, max_length=36)
    original_ksef_number: str | None = Field(default=None, max_length=36)  # status 440: the invoice KSeF already has
    file_name: str = Field(default="", max_length=255)  # the uploaded file of a sent invoice
    invoice_number: str = Field(default="", max_length=256)
    issue_date: date | None = Field(default=None, index=True)
    invoicing_date: datetime | None = _when()
    acquisition_date: datetime | None = _when()
    permanent_storage_date: datetime | None = _when()
    seller_nip: str = Field(default="", max_length=10)
    seller_name: str = Field(default="", max_length=512)
    buyer_identifier: str = Field(default="", max_length=50)
    buyer_name: str = Field(default="", max_length=512)
    net_amount: int | None = None  # grosze
    vat_amount: int | None = None
    gross_amount: int | None = None
    currency: str = Field(default="PLN", max_length=3)
    invoice_type: str = Field(default="", max_length=16)
    invoice_hash: str = Field(default="", max_length=44)
    session_reference: str = Field(default="", max_length=40)
    invoice_reference: str = Field(default="", max_length=40)
    error_code: int | None = None
    error_details: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    created_at: datetime = _created()
    updated_at: datetime = _created()


class InvoiceDocument(SQLModel, table=True):
    """The invoice XML and its UPO, apart from the metadata so that lists stay light."""

    __tablename__ = "invoice_document"

    invoice_id: int = Field(foreign_key="invoice.id", primary_key=True)
    xml: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    upo_xml: bytes | None = Field(default=None, sa_type=sa.LargeBinary)


class SyncState(SQLModel, table=True):
    """High-water mark per client and subject type (PROTOCOL.md §7.4)."""

    __tablename__ = "sync_state"
    __table_args__ = (sa.UniqueConstraint("client_id", "subject_type"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id")
    subject_type: str = Field(sa_type=sa.String(10))
    hwm: datetime | None = _when()  # everything with PermanentStorage date below this is stored locally
    backfill_from: datetime | None = _when()
    last_run_at: datetime | None = _when()
    last_success_at: datetime | None = _when()
    next_due_at: datetime | None = _when(index=True)
    consecutive_failures: int = 0
    last_error: str = Field(default="", max_length=1000)


class UsageEvent(SQLModel, table=True):
    """One counted document operation; unique per invoice and kind, so a retry never counts twice.

    Usage is billing history: it outlives the invoice rows (retention may purge them), hence the nullable reference.
    """

    __tablename__ = "usage_event"
    __table_args__ = (
        sa.UniqueConstraint("invoice_id", "kind"),
        sa.Index("ix_usage_event_office_occurred", "office_id", "occurred_at"),
        sa.Index("ix_usage_event_client_occurred", "client_id", "occurred_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id")
    client_id: int = Field(foreign_key="client.id")
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id", ondelete="SET NULL")
    kind: str = Field(sa_type=sa.String(20))  # UsageKind
    occurred_at: datetime = _created()


class UsageDaily(SQLModel, table=True):
    """Rollup of usage events per client, Warsaw calendar day and kind, kept by the worker."""

    __tablename__ = "usage_daily"

    client_id: int = Field(foreign_key="client.id", primary_key=True)
    day: date = Field(primary_key=True, index=True)
    kind: str = Field(sa_type=sa.String(20), primary_key=True)
    office_id: int = Field(foreign_key="office.id", index=True)
    count: int = 0


class UsageOfficeDaily(SQLModel, table=True):
    """Usage of the whole office per Warsaw day and kind: the burn-down chart and the package gauge read this."""

    __tablename__ = "usage_office_daily"

    office_id: int = Field(foreign_key="office.id", primary_key=True)
    day: date = Field(primary_key=True)
    kind: str = Field(sa_type=sa.String(20), primary_key=True)
    count: int = 0


class UsagePeriod(SQLModel, table=True):
    """Usage per client, package month (its first day) and kind: the client table's package share reads this."""

    __tablename__ = "usage_period"
    __table_args__ = (sa.Index("ix_usage_period_office_period", "office_id", "period_start"),)

    client_id: int = Field(foreign_key="client.id", primary_key=True)
    period_start: date = Field(primary_key=True)
    kind: str = Field(sa_type=sa.String(20), primary_key=True)
    office_id: int = Field(foreign_key="office.id")
    count: int = 0


# --- support, jobs, audit ----


class Problem(SQLModel, table=True):
    """A classified failure (DESIGN.md §3 G.17) with KSeF's raw answer and a masked transcript."""

    __table_args__ = (sa.Index("ix_problem_status_class", "status", "problem_class"),)

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id")
    client_id: int | None = Field(default=None, foreign_key="client.id", index=True)
    problem_class: str = Field(sa_type=sa.String(24))  # ProblemClass
    status: str = Field(default=ProblemStatus.open, sa_type=sa.String(8))
    operation: str = Field(default="", max_length=40)
    message: str = Field(default="", max_length=2000)
    http_status: int | None = None
    ksef_code: int | None = None
    ksef_description: str = Field(default="", max_length=2000)
    service_code: str = Field(default="", max_length=200)
    reference_number: str = Field(default="", max_length=40)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    transcript: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    occurrences: int = 1
    first_seen_at: datetime = _created()
    last_seen_at: datetime = _created()
    closed_at: datetime | None = _when()
    closed_reason: str = Field(default="", max_length=200)


class JobRun(SQLModel, table=True):
    """The job queue (DESIGN.md §4): claimed with one UPDATE … RETURNING, leased, retried with backoff."""

    __tablename__ = "job_run"
    __table_args__ = (
        sa.UniqueConstraint("kind", "subject", "period"),
        sa.Index("ix_job_run_claim", "status", "run_after"),
    )

    id: int | None = Field(default=None, primary_key=True)
    office_id: int | None = Field(default=None, foreign_key="office.id")
    kind: str = Field(max_length=40)
    subject: str = Field(default="", max_length=120)
    period: str = Field(default="", max_length=60)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    status: str = Field(default=JobStatus.pending, sa_type=sa.String(10))
    urgent: bool = True  # non-urgent work (backfills) is held when the package is exhausted
    priority: int = 0
    attempts: int = 0
    max_attempts: int = 5
    run_after: datetime = _created()
    lease_owner: str = Field(default="", max_length=80)
    lease_expires_at: datetime | None = _when()
    progress_done: int = 0
    progress_total: int = 0
    result: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    error: str = Field(default="", max_length=4000)
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = _created()
    started_at: datetime | None = _when()
    finished_at: datetime | None = _when()


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    office_id: int | None = Field(default=None, foreign_key="office.id")
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=60, index=True)
    target: str = Field(default="", max_length=120)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)


# --- notifications ----


class NotificationSetting(SQLModel, table=True):
    __tablename__ = "notification_setting"
    __table_args__ = (sa.UniqueConstraint("office_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id")
    kind: str = Field(sa_type=sa.String(24))  # NotificationKind
    enabled: bool = True
    recipients: str = Field(default="", max_length=1000)  # comma-separated; empty = the office managers


class SmtpSettings(SQLModel, table=True):
    __tablename__ = "smtp_settings"

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id", unique=True)
    host: str = Field(default="", max_length=255)
    port: int = 587
    security: str = Field(default="starttls", max_length=10)  # none / starttls / tls
    sender: str = Field(default="", max_length=254)
    username: str = Field(default="", max_length=254)
    password_ciphertext: bytes | None = Field(default=None, sa_type=sa.LargeBinary)


class NotificationLog(SQLModel, table=True):
    """Every e-mail sent; `dedup_key` makes each event go out once."""

    __tablename__ = "notification_log"

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id", index=True)
    kind: str = Field(sa_type=sa.String(24))
    dedup_key: str = Field(max_length=200, unique=True)
    recipients: str = Field(default="", max_length=1000)
    subject: str = Field(default="", max_length=300)
    status: str = Field(default="sent", max_length=10)
    error: str = Field(default="", max_length=1000)
    sent_at: datetime = _created()


# --- KSeF plumbing shared across processes ----


class RateLimit(SQLModel, table=True):
    """Effective limits per (environment, context NIP, endpoint group), seeded from GET /rate-limits."""

    __tablename__ = "rate_limit"

    environment: str = Field(sa_type=sa.String(8), primary_key=True)
    context_nip: str = Field(max_length=10, primary_key=True)
    group: str = Field(max_length=60, primary_key=True)
    per_second: int
    per_minute: int
    per_hour: int
    blocked_until: datetime | None = _when()  # set from a 429's Retry-After
    updated_at: datetime = _created()


class RateSlot(SQLModel, table=True):
    """One request admitted by the limiter; the sliding windows count these rows."""

    __tablename__ = "rate_slot"
    __table_args__ = (sa.Index("ix_rate_slot_key_at", "environment", "context_nip", "group", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    environment: str = Field(sa_type=sa.String(8))
    context_nip: str = Field(max_length=10)
    group: str = Field(max_length=60)
    at: datetime = Field(sa_type=UtcDateTime)


class EnvironmentStatus(SQLModel, table=True):
    """The last availability probe of a KSeF environment (Latarnia)."""

    __tablename__ = "environment_status"

    environment: str = Field(sa_type=sa.String(8), primary_key=True)
    status: str = Field(default="UNKNOWN", max_length=20)
    messages: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    checked_at: datetime = _created()


class SchedulerLease(SQLModel, table=True):
    """On SQLite, the single scheduler holds this row's lease (PostgreSQL uses an advisory lock)."""

    __tablename__ = "scheduler_lease"

    name: str = Field(max_length=40, primary_key=True)
    owner: str = Field(max_length=80)
    expires_at: datetime = Field(sa_type=UtcDateTime)


__all__ = [
    "AuditEvent",
    "AuthMethod",
    "CertificateType",
    "Client",
    "ClientCreate",
    "ClientPublic",
    "ClientUpdate",
    "CompanyKey",
    "Credential",
    "CredentialSource",
    "CredentialStatus",
    "EnvironmentStatus",
    "Invoice",
    "InvoiceDocument",
    "InvoiceStatus",
    "JobRun",
    "JobStatus",
    "KsefEnvironment",
    "KsefSession",
    "Link",
    "LinkStatus",
    "NotificationKind",
    "NotificationLog",
    "NotificationSetting",
    "Office",
    "Package",
    "PackagePolicy",
    "Problem",
    "ProblemClass",
    "ProblemStatus",
    "RateLimit",
    "RateSlot",
    "Role",
    "SchedulerLease",
    "SmtpSettings",
    "SubjectType",
    "SyncState",
    "UsageDaily",
    "UsageEvent",
    "UsageKind",
    "UsageOfficeDaily",
    "UsagePeriod",
    "User",
    "UserCreate",
    "UserPublic",
]
