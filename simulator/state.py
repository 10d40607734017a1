"""The simulator's whole memory: plain dataclasses, persisted as JSON by `persistence.py`.

Only durable facts live here (contexts, grants, tokens, certificates, invoices, sessions...). Derived indexes,
rate-limit windows and statistics live in the runtime objects that own them, so a restart rebuilds them from these.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass
class Settings:
    """Knobs the admin API may turn; defaults follow KSeF (PROTOCOL.md §4.5, §5.1, §12.2)."""

    access_token_seconds: int = 900  # the spec's example JWT has exp - iat = 900 s
    refresh_token_seconds: int = 7 * 24 * 3600  # refresh token lives up to 7 days
    auth_pending_seconds: float = 0.0  # how long GET /auth/{ref} answers 100 before the verdict
    permanent_storage_lag_seconds: float = 1.0  # PermanentStorage trails acquisition "a little"
    hwm_lag_seconds: float = 0.0  # default distance of the HWM behind now (per context override in Context)
    export_pending_seconds: float = 0.0  # how long an export answers 100
    export_part_size_bytes: int = 50_000_000  # parts are at most 50 MB before encryption
    timeout_seconds: float = 30.0  # how long a request hangs when the timeout fault hits


@dataclass
class PublicKey:
    """One of the MF-style encryption certificates published at /security/public-key-certificates."""

    usage: list[str]
    certificate_der: bytes
    private_key_pem: str
    certificate_id: str
    public_key_id: str
    valid_from: datetime
    valid_to: datetime
    retired: bool = False  # a retired key is no longer listed and its publicKeyId gives 21470


@dataclass
class Identity:
    """Who authenticated: the subject identifier KSeF derives from a certificate or a token."""

    type: str  # Nip | Pesel | Fingerprint
    value: str
    fingerprint: str | None = None  # SHA-256 of the signing certificate, uppercase hex
    nip: str | None = None
    pesel: str | None = None
    name: str | None = None
    given_name: str | None = None
    surname: str | None = None


@dataclass
class AuthOperation:
    reference_number: str
    start_date: datetime
    method: str  # AuthenticationMethod enum value
    category: str  # AuthenticationMethodCategory enum value
    context_type: str
    context_value: str
    identity: Identity
    client_ip: str
    status_code: int
    status_details: list[str]
    ready_at: datetime  # status is 100 until then
    token_reference: str | None = None  # KSeF token used, for 21301 on revocation and the UPO
    certificate_serial: str | None = None  # simulator-issued certificate used, if any
    auth_document_hash: str | None = None  # SHA-256 of the signed AuthTokenRequest, for the UPO
    ip_policy: dict[str, Any] | None = None
    redeemed: bool = False
    revoked: bool = False
    refresh_valid_until: datetime | None = None
    last_refresh: datetime | None = None


@dataclass
class Context:
    """A taxpayer known to the simulator, addressed by NIP."""

    nip: str
    name: str
    created: datetime
    blocked: bool = False
    subject_type: str | None = None  # from /testdata/subject (EnforcementAuthority, VatGroup, JST)
    attachment_allowed: bool = False
    hwm_lag_seconds: float | None = None  # None: the global setting
    hwm_watermark: datetime | None = None  # highest HWM ever reported; the HWM never moves back
    rate_limits: dict[str, list[int]] | None = None  # /testdata/rate-limits override, group -> [s, min, h]
    session_limits: dict[str, Any] | None = None  # /testdata/limits/context/session override


@dataclass
class Person:
    """A /testdata/person record: links a PESEL to a NIP (the person then owns that NIP's context)."""

    nip: str
    pesel: str
    is_bailiff: bool
    is_deceased: bool
    description: str


@dataclass
class Grant:
    """One permission held by one subject; a grant request with n permissions stores n grants."""

    id: str
    kind: str  # person | entity | indirect | authorization | system (ZAW-FA via /testdata/permissions)
    context_nip: str  # the context in which the grant was made
    subject_type: str  # Nip | Pesel | Fingerprint | PeppolId
    subject_value: str
    permission: str
    description: str
    start_date: datetime
    author_type: str  # Nip | Pesel | Fingerprint | System
    author_value: str | None
    can_delegate: bool = False
    target_type: str | None = None  # indirect grants: Nip | AllPartners | InternalId
    target_value: str | None = None
    subject_details: dict[str, Any] | None = None


@dataclass
class OperationStatus:
    """An asynchronous operation's outcome (permission grants/revokes, certificate enrollments)."""

    reference_number: str
    created: datetime
    context_nip: str
    status_code: int
    status_description: str
    details: list[str] = field(default_factory=list)
    certificate_serial: str | None = None


@dataclass
class KsefToken:
    reference_number: str
    secret: str  # the whole token string as shown once to its author
    context_type: str
    context_value: str
    author_type: str
    author_value: str
    description: str
    permissions: list[str]
    created: datetime
    status: str = "Active"  # Pending | Active | Revoking | Revoked | Failed
    last_use: datetime | None = None


@dataclass
class Certificate:
    """A KSeF certificate issued by the simulator's CA (enrollment or admin)."""

    serial: str  # 16 uppercase hex
    name: str
    type: str  # Authentication | Offline
    common_name: str
    subject_type: str  # Nip | Pesel
    subject_value: str
    certificate_der: bytes
    fingerprint: str
    valid_from: datetime
    valid_to: datetime
    request_date: datetime
    status: str = "Active"  # Active | Blocked | Revoked (Expired is derived from valid_to)
    revocation_reason: str | None = None
    last_use: datetime | None = None
    private_key_pem: str | None = None  # kept only for admin-issued certificates, to hand them back on re-seed


@dataclass
class Party:
    identifier_type: str  # Nip | VatUe | Other | None | InternalId
    identifier_value: str | None
    name: str | None
    role: int | None = None


@dataclass
class Invoice:
    ksef_number: str
    xml: str  # the original document, byte-exact once encoded as UTF-8
    invoice_hash: str
    invoice_number: str
    invoice_kind: str  # RodzajFaktury as in the XML (VAT, KOR ...), part of the duplicate key
    issue_date: date
    invoicing_date: datetime
    acquisition_date: datetime
    permanent_storage_date: datetime
    seller: Party
    buyer: Party
    third_subjects: list[Party]
    authorized_subject: Party | None
    net_grosze: int
    gross_grosze: int
    vat_grosze: int
    currency: str
    invoicing_mode: str  # Online | Offline
    form_code: dict[str, str]
    is_self_invoicing: bool = False
    has_attachment: bool = False
    hash_of_corrected_invoice: str | None = None
    session_reference: str | None = None
    invoice_reference: str | None = None


@dataclass
class SessionInvoice:
    ordinal_number: int
    reference_number: str
    invoice_hash: str
    invoicing_date: datetime
    status_code: int
    status_description: str
    status_details: list[str] = field(default_factory=list)
    status_extensions: dict[str, Any] | None = None
    invoice_number: str | None = None
    ksef_number: str | None = None
    invoicing_mode: str | None = None
    file_name: str | None = None  # batch only: the invoice's file inside the package (`invoiceFileName`)


@dataclass
class OnlineSession:
    reference_number: str
    context_nip: str
    auth_reference: str
    author: Identity
    form_code: dict[str, str]
    key: bytes
    iv: bytes
    created: datetime
    updated: datetime
    valid_until: datetime
    status_code: int = 100
    closed_at: datetime | None = None
    upo_reference: str | None = None
    invoices: list[SessionInvoice] = field(default_factory=list)
    status_details: list[str] = field(default_factory=list)
    kind: str = "Online"  # Online | Batch (the same status, invoice and UPO endpoints serve both)
    batch_file: dict[str, Any] | None = None  # batch only: the declared `batchFile` of the open request
    offline_mode: bool = False  # batch only: `offlineMode` of the open request
    upload_deadline: datetime | None = None  # batch only: parts must be uploaded and the session closed before it


@dataclass
class Fault:
    scope: str  # global | <nip>
    latency_ms: float = 0.0
    error_rate: float = 0.0
    error_status: int = 503
    timeout_rate: float = 0.0
    drop_rate: float = 0.0
    rate_limit_storm_until: datetime | None = None
    unavailable_until: datetime | None = None
    unavailable_kind: str = "FAILURE"  # what Latarnia reports: MAINTENANCE or FAILURE


@dataclass
class SeededClient:
    nip: str
    name: str
    scenario: str
    token: str | None
    certificate_serial: str | None


@dataclass
class SeededOffice:
    nip: str
    name: str
    certificate_serial: str
    clients: dict[str, SeededClient] = field(default_factory=dict)


@dataclass
class SimState:
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))  # signs JWTs and storage URLs
    ca_key_pem: str = ""
    ca_certificate_der: bytes = b""
    public_keys: list[PublicKey] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)
    clock_offset_seconds: float = 0.0
    contexts: dict[str, Context] = field(default_factory=dict)
    persons: dict[str, Person] = field(default_factory=dict)  # by NIP
    grants: dict[str, Grant] = field(default_factory=dict)
    operations: dict[str, OperationStatus] = field(default_factory=dict)
    auth_operations: dict[str, AuthOperation] = field(default_factory=dict)
    tokens: dict[str, KsefToken] = field(default_factory=dict)  # by reference number
    certificates: dict[str, Certificate] = field(default_factory=dict)  # by serial
    invoices: dict[str, Invoice] = field(default_factory=dict)  # by KSeF number
    sessions: dict[str, OnlineSession] = field(default_factory=dict)
    faults: dict[str, Fault] = field(default_factory=dict)
    offices: dict[str, SeededOffice] = field(default_factory=dict)
    subject_limits: dict[str, dict[str, Any]] = field(default_factory=dict)  # /testdata/limits/subject/certificate
