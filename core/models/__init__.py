"""The console's tables, one module per concept (DESIGN.md §2 vocabulary).

DTO pattern (one for the whole console): a table row never leaves a service. What a service takes and returns is a
frozen dataclass without secrets: `XCreate`/`XUpdate` for inputs and `XPublic.of(row)` for a row's public face live
beside their table here; composed read models of a screen (`…View`, `…Row`, `…Page`) live in the service that builds
them. Secrets live only in `*_ciphertext` columns, sealed by `core.vault` and bound to their row.

Importing this package registers every table with SQLModel's metadata (Alembic's env and the tests rely on it).
"""

from core.models import base  # noqa: F401  (first: the naming convention must precede every table)
from core.models.audit import AuditEvent
from core.models.clients import Client, ClientCreate, ClientPublic, ClientUpdate, CompanyKey
from core.models.clientside import (
    ClientAccess,
    ClientInvitation,
    ClientProgram,
    IntakeAck,
    IntakeDocument,
    IntakeToken,
)
from core.models.credentials import CertificateEnrollment, Credential, KsefSession, TokenMigration
from core.models.invoices import Invoice, InvoiceDocument, SyncState
from core.models.jobs import JobRun, SchedulerLease
from core.models.ksef import EnvironmentStatus, RateLease, RateLimit, RateSlot
from core.models.links import Link, LinkOutcome, LinkRequest
from core.models.notifications import NotificationLog, NotificationSetting, SmtpSettings
from core.models.office import Office, Package
from core.models.problems import Problem
from core.models.usage import UsageDaily, UsageEvent, UsageOfficeDaily, UsagePeriod
from core.models.users import User, UserCreate, UserPublic
from core.models.web_sessions import WebSession

__all__ = [
    "AuditEvent",
    "CertificateEnrollment",
    "Client",
    "ClientAccess",
    "ClientCreate",
    "ClientInvitation",
    "ClientProgram",
    "ClientPublic",
    "ClientUpdate",
    "CompanyKey",
    "Credential",
    "EnvironmentStatus",
    "IntakeAck",
    "IntakeDocument",
    "IntakeToken",
    "Invoice",
    "InvoiceDocument",
    "JobRun",
    "KsefSession",
    "Link",
    "LinkOutcome",
    "LinkRequest",
    "NotificationLog",
    "NotificationSetting",
    "Office",
    "Package",
    "Problem",
    "RateLease",
    "RateLimit",
    "RateSlot",
    "SchedulerLease",
    "SmtpSettings",
    "SyncState",
    "TokenMigration",
    "UsageDaily",
    "UsageEvent",
    "UsageOfficeDaily",
    "UsagePeriod",
    "User",
    "UserCreate",
    "UserPublic",
    "WebSession",
]
