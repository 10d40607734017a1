"""Every kind of job the console runs: its payload, its result, who may run it, how it retries and what it dedups on.

The bodies are bound in `core.jobs.tasks`; this module imports no service, so services start jobs by naming a spec
here (`start_job(session, actor, SYNC, SyncPayload(client_id=…))`) and pages read results as these types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core.jobs.spec import TRANSIENT, JobSpec, RetryPolicy
from core.models.links import LinkOutcome, LinkRequest
from core.security import Permission
from core.types import InvoiceStatus

# --- payloads ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoPayload:
    pass


@dataclass(frozen=True)
class OfficePayload:
    """Scheduled upkeep of one office."""

    office_id: int


@dataclass(frozen=True)
class ClientImportPayload:
    filename: str
    content_b64: str  # the uploaded file; job_progress never reads the payload, so it never reaches a page


@dataclass(frozen=True)
class LinkConnectPayload:
    client_ids: tuple[int, ...]
    request: LinkRequest
    switch_linked: bool = False  # False: a client whose link works keeps it; only the others are connected


@dataclass(frozen=True)
class LinkVerifyPayload:
    client_ids: tuple[int, ...]


@dataclass(frozen=True)
class SendPayload:
    client_id: int
    invoice_ids: tuple[int, ...]


@dataclass(frozen=True)
class SyncPayload:
    client_id: int


@dataclass(frozen=True)
class ReportExportPayload:
    kind: str
    format: str
    file_name: str
    first: date | None = None  # usage reports: the date range and filters
    last: date | None = None
    client_ids: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()
    lang: str = "pl"  # the language of the file's headers and labels


# --- results -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PingResult:
    worker: str
    pid: int
    host: str


@dataclass(frozen=True)
class HousekeepingResult:
    reaped: int
    rate_slots_deleted: int
    jobs_deleted: int
    web_sessions_deleted: int = 0


@dataclass(frozen=True)
class ClientImportResult:
    status: str  # imported | refused | empty
    rows: int
    imported: int
    errors: tuple[str, ...] = ()

    def audit(self) -> dict[str, Any]:
        return {"status": self.status, "rows": self.rows, "imported": self.imported, "errors": len(self.errors)}


@dataclass(frozen=True)
class BulkLinkResult:
    """Per client, how its connect or verify attempt ended (filled in while the job runs)."""

    clients: dict[int, LinkOutcome] = field(default_factory=dict)

    @property
    def failed(self) -> list[int]:
        return sorted(client_id for client_id, outcome in self.clients.items() if not outcome.ok)

    @property
    def ok(self) -> int:
        return sum(1 for outcome in self.clients.values() if outcome.ok)

    def audit(self) -> dict[str, Any]:
        return {"ok": self.ok, "failed": self.failed}


@dataclass(frozen=True)
class SendResult:
    """Per invoice of the batch, its status when the job ended (accepted, duplicate, rejected, failed …)."""

    outcomes: dict[int, InvoiceStatus] = field(default_factory=dict)

    def with_status(self, status: InvoiceStatus) -> list[int]:
        return sorted(invoice_id for invoice_id, outcome in self.outcomes.items() if outcome == status)

    def audit(self) -> dict[str, Any]:
        return {
            status.value: self.with_status(status)
            for status in (
                InvoiceStatus.accepted,
                InvoiceStatus.duplicate,
                InvoiceStatus.rejected,
                InvoiceStatus.failed,
            )
        }


@dataclass(frozen=True)
class SyncResult:
    new_invoices: int
    ok: bool


@dataclass(frozen=True)
class RefreshResult:
    refreshed: int
    failed: int


@dataclass(frozen=True)
class StatusScanResult:
    clients: int
    changed: int


@dataclass(frozen=True)
class LinkHealthResult:
    clients: int
    job_id: int | None = None  # the bulk verify it started


@dataclass(frozen=True)
class AvailabilityResult:
    environments: dict[str, str] = field(default_factory=dict)  # environment -> Latarnia's status


@dataclass(frozen=True)
class RollupResult:
    rows: int


@dataclass(frozen=True)
class NotificationsResult:
    sent: int
    failed: int
    skipped: int


@dataclass(frozen=True)
class ReportExportResult:
    path: str
    file_name: str
    rows: int

    def audit(self) -> dict[str, Any]:
        return {"file_name": self.file_name, "rows": self.rows}


@dataclass(frozen=True)
class EnrollmentPayload:
    """A certificate enrollment whose status is followed until the certificate is active (or refused)."""

    enrollment_id: int


@dataclass(frozen=True)
class EnrollmentResult:
    status: str
    credential_id: int | None = None
    message: str = ""


@dataclass(frozen=True)
class TokenSwitchPayload:
    """The campaign's bulk switch: these token clients onto this office certificate."""

    office_id: int
    client_ids: tuple[int, ...]
    credential_id: int


@dataclass(frozen=True)
class TokenSwitchResult:
    switched: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)

    def audit(self) -> dict[str, Any]:
        return {"switched": len(self.switched), "failed": len(self.failed)}


# --- the kinds -----------------------------------------------------------------------------------------------------


def _office(payload: OfficePayload) -> str:
    return f"office:{payload.office_id}"


def _alone(payload: NoPayload) -> str:
    return ""  # one at a time in the whole installation


PING = JobSpec("ping", NoPayload, PingResult, Permission.view, RetryPolicy(attempts=3, retry_on=TRANSIENT))
HOUSEKEEPING = JobSpec("housekeeping", NoPayload, HousekeepingResult, Permission.run_fleet_operations, dedup=_alone)
CLIENT_IMPORT = JobSpec("client_import", ClientImportPayload, ClientImportResult, Permission.manage_clients)
# A bulk body never fails per client; its attempts are for a worker that died: the next one resumes the recorded
# per-client progress (core.jobs.tasks), so a killed bulk connect converges.
BULK_RESUME = RetryPolicy(5, TRANSIENT)
LINK_CONNECT = JobSpec("link_connect", LinkConnectPayload, BulkLinkResult, Permission.run_operations, BULK_RESUME)
LINK_VERIFY = JobSpec("link_verify", LinkVerifyPayload, BulkLinkResult, Permission.run_operations, BULK_RESUME)
# A send outlasts a KSeF outage of half an hour (5 s, 10 s … capped at 15 min) before its invoices end as failed.
SEND_INVOICES = JobSpec(
    "send_invoices", SendPayload, SendResult, Permission.run_operations, RetryPolicy(10, TRANSIENT), priority=5
)
SYNC = JobSpec(
    "sync",
    SyncPayload,
    SyncResult,
    Permission.run_operations,
    RetryPolicy(3, TRANSIENT),
    dedup=lambda payload: f"client:{payload.client_id}",  # one sync per client at a time
)
TOKEN_REFRESH = JobSpec("token_refresh", OfficePayload, RefreshResult, Permission.run_fleet_operations, dedup=_office)
CERTIFICATE_SCAN = JobSpec(
    "certificate_scan", OfficePayload, StatusScanResult, Permission.run_fleet_operations, dedup=_office
)
LINK_HEALTH = JobSpec("link_health", OfficePayload, LinkHealthResult, Permission.run_fleet_operations, dedup=_office)
AVAILABILITY_PROBE = JobSpec(
    "availability_probe", NoPayload, AvailabilityResult, Permission.run_fleet_operations, dedup=_alone
)
REPORT_EXPORT = JobSpec(
    "report_export", ReportExportPayload, ReportExportResult, Permission.export_reports, RetryPolicy(2, TRANSIENT)
)
USAGE_ROLLUP = JobSpec("usage_rollup", NoPayload, RollupResult, Permission.run_fleet_operations, dedup=_alone)
NOTIFICATIONS = JobSpec(
    "notifications", OfficePayload, NotificationsResult, Permission.run_fleet_operations, dedup=_office
)
CERTIFICATE_ENROLLMENT = JobSpec(
    "certificate_enrollment",
    EnrollmentPayload,
    EnrollmentResult,
    Permission.manage_credentials,
    RetryPolicy(8, TRANSIENT),  # a request KSeF still processes comes back later (5 s, 10 s, 20 s …)
    dedup=lambda payload: f"enrollment:{payload.enrollment_id}",
)
TOKEN_SWITCH = JobSpec(
    "token_switch",
    TokenSwitchPayload,
    TokenSwitchResult,
    Permission.manage_credentials,
    RetryPolicy(3, TRANSIENT),  # a rerun skips the clients already switched
    dedup=lambda payload: f"office:{payload.office_id}",
)

SPECS: dict[str, JobSpec[Any, Any]] = {
    spec.kind: spec
    for spec in (
        PING,
        HOUSEKEEPING,
        CLIENT_IMPORT,
        LINK_CONNECT,
        LINK_VERIFY,
        SEND_INVOICES,
        SYNC,
        TOKEN_REFRESH,
        CERTIFICATE_SCAN,
        LINK_HEALTH,
        AVAILABILITY_PROBE,
        REPORT_EXPORT,
        USAGE_ROLLUP,
        NOTIFICATIONS,
        CERTIFICATE_ENROLLMENT,
        TOKEN_SWITCH,
    )
}
