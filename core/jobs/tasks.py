"""The bodies of the job kinds declared in `core.jobs.kinds`. Importing this module binds them.

Each body gets a typed JobContext (its actor already re-checked by the worker) and returns the kind's result type;
a failure is raised as it is (KsefFailure, ServiceError) and the worker applies the kind's retry policy.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Sequence
from typing import Any

from core.jobs import kinds, queue
from core.jobs.kinds import (
    AvailabilityResult,
    BulkLinkResult,
    ClientImportPayload,
    ClientImportResult,
    EnrollmentPayload,
    EnrollmentResult,
    HousekeepingResult,
    LinkConnectPayload,
    LinkHealthResult,
    LinkVerifyPayload,
    NoPayload,
    NotificationsResult,
    OfficePayload,
    PingResult,
    RefreshResult,
    ReportExportPayload,
    ReportExportResult,
    RollupResult,
    SendPayload,
    SendResult,
    StatusScanResult,
    SyncPayload,
    SyncResult,
    TokenSwitchPayload,
    TokenSwitchResult,
)
from core.jobs.maintenance import forget_old_rows
from core.jobs.registry import JobContext, JobFailed, task
from core.jobs.spec import Progress
from core.security import Actor
from core.services import sending
from core.services.campaign import tokens as campaign_tokens
from core.services.certificates import enrollment
from core.services.clients import importer
from core.services.linking import health, links
from core.services.notifications.delivery import run_notifications
from core.services.reports import exports
from core.services.sync.engine import sync_client
from core.services.usage.rollups import rollup_usage
from core.texts import Text


@task(kinds.PING)
def ping(context: JobContext[NoPayload]) -> PingResult:
    """A no-op that proves a worker is alive and claiming (`ksef-console worker ping`)."""
    return PingResult(worker=context.worker_id, pid=os.getpid(), host=socket.gethostname())


@task(kinds.HOUSEKEEPING)
def housekeeping(context: JobContext[NoPayload]) -> HousekeepingResult:
    """Free expired leases and forget old bookkeeping rows."""
    return HousekeepingResult(reaped=queue.reap_expired(), **forget_old_rows())


@task(kinds.CLIENT_IMPORT)
def client_import(context: JobContext[ClientImportPayload]) -> ClientImportResult:
    return importer.import_job(actor=context.actor, payload=context.payload, progress=context.progress)


def _resumed(
    context: JobContext[Any], client_ids: Sequence[int], run: Callable[[tuple[int, ...], Progress], BulkLinkResult]
) -> BulkLinkResult:
    """Run a bulk body for the clients the job has no outcome for yet: after a worker died mid-job, the next attempt
    starts from the per-client progress recorded so far instead of from zero."""
    job = queue.get_job(context.job.id)
    recorded = context.spec.read_result(job.result if job is not None else None)
    prior = dict(recorded.clients) if isinstance(recorded, BulkLinkResult) else {}
    remaining = tuple(client_id for client_id in client_ids if client_id not in prior)

    def progress(done: int, total: int, *, force: bool = False, result: Any = None) -> None:
        now = result.clients if isinstance(result, BulkLinkResult) else {}
        # Every client's outcome is written at once (never throttled away): it is what the next attempt resumes from.
        context.progress(len(prior) + done, len(prior) + total, force=True, result=BulkLinkResult({**prior, **now}))

    return BulkLinkResult({**prior, **run(remaining, progress).clients})


@task(kinds.LINK_CONNECT)
def link_connect(context: JobContext[LinkConnectPayload]) -> BulkLinkResult:
    payload = context.payload
    return _resumed(
        context,
        payload.client_ids,
        lambda ids, progress: links.bulk_connect(
            actor=context.actor,
            client_ids=ids,
            request=payload.request,
            switch_linked=payload.switch_linked,
            progress=progress,
        ),
    )


@task(kinds.CERTIFICATE_ENROLLMENT)
def certificate_enrollment(context: JobContext[EnrollmentPayload]) -> EnrollmentResult:
    followed = enrollment.follow_enrollment(actor=context.actor, enrollment_id=context.payload.enrollment_id)
    return EnrollmentResult(followed.status, followed.credential_id, followed.message)


@task(kinds.TOKEN_SWITCH)
def token_switch(context: JobContext[TokenSwitchPayload]) -> TokenSwitchResult:
    payload = context.payload
    return campaign_tokens.switch_clients(
        actor=context.actor,
        client_ids=payload.client_ids,
        credential_id=payload.credential_id,
        progress=context.progress,
    )


@task(kinds.LINK_VERIFY)
def link_verify(context: JobContext[LinkVerifyPayload]) -> BulkLinkResult:
    return _resumed(
        context,
        context.payload.client_ids,
        lambda ids, progress: links.bulk_verify(actor=context.actor, client_ids=ids, progress=progress),
    )


def _abandon_batch(actor: Actor, payload: SendPayload, error: str) -> None:
    sending.abandon_batch(actor=actor, invoice_ids=payload.invoice_ids, reason=error)


@task(kinds.SEND_INVOICES, on_dead=_abandon_batch)
def send_invoices(context: JobContext[SendPayload]) -> SendResult:
    payload = context.payload
    return sending.send_batch(
        actor=context.actor, client_id=payload.client_id, invoice_ids=payload.invoice_ids, progress=context.progress
    )


@task(kinds.SYNC)
def sync(context: JobContext[SyncPayload]) -> SyncResult:
    report = sync_client(actor=context.actor, client_id=context.payload.client_id)
    return SyncResult(new_invoices=report.new_invoices, ok=report.ok)


def _office_actor(context: JobContext[OfficePayload]) -> None:
    if context.actor.office_id != context.payload.office_id:
        raise JobFailed(Text("job.refused.other_office"))


@task(kinds.TOKEN_REFRESH)
def token_refresh(context: JobContext[OfficePayload]) -> RefreshResult:
    _office_actor(context)
    return health.refresh_expiring_sessions(actor=context.actor)


@task(kinds.CERTIFICATE_SCAN)
def certificate_scan(context: JobContext[OfficePayload]) -> StatusScanResult:
    _office_actor(context)
    return health.recompute_statuses(actor=context.actor)


@task(kinds.LINK_HEALTH)
def link_health(context: JobContext[OfficePayload]) -> LinkHealthResult:
    _office_actor(context)
    return health.verify_all_links(actor=context.actor)


@task(kinds.AVAILABILITY_PROBE)
def availability_probe(context: JobContext[NoPayload]) -> AvailabilityResult:
    return AvailabilityResult(environments=health.probe_availability())


@task(kinds.REPORT_EXPORT)
def report_export(context: JobContext[ReportExportPayload]) -> ReportExportResult:
    return exports.export_task(actor=context.actor, job_id=context.job.id, payload=context.payload)


@task(kinds.USAGE_ROLLUP)
def usage_rollup(context: JobContext[NoPayload]) -> RollupResult:
    return RollupResult(rows=rollup_usage())


@task(kinds.NOTIFICATIONS)
def notifications(context: JobContext[OfficePayload]) -> NotificationsResult:
    _office_actor(context)
    return NotificationsResult(**run_notifications(actor=context.actor))
