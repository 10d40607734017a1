"""The task kinds of the console. Importing this module registers them."""

from __future__ import annotations

import os
import socket
from typing import Any

from core.jobs.registry import JobContext, task


@task("ping")
def ping(context: JobContext) -> dict[str, Any]:
    """A no-op that proves a worker is alive and claiming (`ksef-console worker ping`)."""
    return {"worker": context.worker_id, "pid": os.getpid(), "host": socket.gethostname()}


@task("client_import")
def client_import(context: JobContext) -> dict[str, Any]:
    from core.services.clients.importer import run_import_job

    return run_import_job(context)


@task("housekeeping")
def housekeeping(context: JobContext) -> dict[str, Any]:
    """Free expired leases and forget old bookkeeping rows."""
    from core.jobs import queue
    from core.jobs.maintenance import forget_old_rows

    return {"reaped": queue.reap_expired(), **forget_old_rows()}


@task("link_connect")
def link_connect(context: JobContext) -> dict[str, Any]:
    from core.services.linking.links import bulk_connect_task

    return bulk_connect_task(context)


@task("link_verify")
def link_verify(context: JobContext) -> dict[str, Any]:
    from core.services.linking.links import bulk_verify_task

    return bulk_verify_task(context)


@task("send_invoices")
def send_invoices(context: JobContext) -> dict[str, Any]:
    from core.services.sending import send_invoices_task

    return send_invoices_task(context)


@task("sync")
def sync(context: JobContext) -> dict[str, Any]:
    from core.jobs.registry import JobFailed, RetryLater
    from core.ksef.errors import KsefFailure
    from core.services.sync.engine import sync_client

    try:
        report = sync_client(actor=context.actor, client_id=int(context.payload["client_id"]))
    except KsefFailure as failure:
        if failure.retryable:  # network, KSeF down, rate limit: try again when KSeF says
            raise RetryLater(str(failure), retry_after=failure.retry_after) from None
        raise JobFailed(str(failure)) from None
    return {"new_invoices": report.new_invoices, "ok": report.ok}


def _office_id(context: JobContext) -> int:
    if context.job.office_id is None:
        from core.jobs.registry import JobFailed

        raise JobFailed("zadanie nie wskazuje biura")
    return context.job.office_id


@task("token_refresh")
def token_refresh(context: JobContext) -> dict[str, Any]:
    from core.services.linking.health import refresh_expiring_sessions

    return refresh_expiring_sessions(_office_id(context))


@task("certificate_scan")
def certificate_scan(context: JobContext) -> dict[str, Any]:
    from core.services.linking.health import recompute_statuses

    return recompute_statuses(_office_id(context))


@task("link_health")
def link_health(context: JobContext) -> dict[str, Any]:
    from core.services.linking.health import verify_all_links

    return verify_all_links(_office_id(context))


@task("availability_probe")
def availability_probe(context: JobContext) -> dict[str, Any]:
    from core.services.linking.health import probe_availability

    return probe_availability()


@task("report_export")
def report_export(context: JobContext) -> dict[str, Any]:
    from core.services.reports.exports import export_task

    return export_task(context)


@task("usage_rollup")
def usage_rollup(context: JobContext) -> dict[str, Any]:
    from core.services.usage.rollups import rollup_usage

    return {"rows": rollup_usage()}


@task("notifications")
def notifications(context: JobContext) -> dict[str, Any]:
    from core.services.notifications.delivery import run_notifications

    return run_notifications(_office_id(context))
