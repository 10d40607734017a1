"""`ksef-console report|package|notify`: usage reports, the package, notifications (DESIGN.md §3 F, H, I)."""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from core.cli.common import acting_user, command
from core.errors import InvalidInput
from core.files import write_private
from core.jobs.kinds import ReportExportResult
from core.jobs.worker import run_now
from core.services import jobs
from core.services.notifications import delivery as notification_delivery
from core.services.reports import exports
from core.services.reports.registry import spec_of
from core.services.reports.rows import UsageFilters
from core.services.usage import package
from core.texts import Text
from core.types import JobStatus


def register(commands: Any) -> None:
    report = command(commands, "report", _report, "export a report as CSV (Polish Excel) or XLSX")
    report.add_argument("kind", choices=["usage", "usage-events", "links", "certificates"])
    report.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    report.add_argument("--out", type=Path, required=True)
    report.add_argument("--from", dest="first", type=date.fromisoformat, help="first day (YYYY-MM-DD), usage reports")
    report.add_argument("--to", dest="last", type=date.fromisoformat, help="last day (YYYY-MM-DD), usage reports")

    group = commands.add_parser("package", help="the office's KSeF package").add_subparsers(
        dest="action", required=True
    )
    command(group, "show", lambda a: package.package_usage(actor=acting_user(a)), "usage, forecast and limit")

    notify = commands.add_parser("notify", help="e-mail notifications").add_subparsers(dest="action", required=True)
    test = command(notify, "test", _notify_test, "send a test e-mail through the configured SMTP server")
    test.add_argument("--to", default="")


def _report(args: argparse.Namespace) -> dict[str, Any]:
    kind = args.kind.replace("-", "_")
    filters = None
    spec = spec_of(kind)
    if spec is not None and spec.needs_dates:
        today = date.today()  # noqa: DTZ011 - a default range, refined by --from/--to
        first = args.first or today.replace(day=1)
        last = args.last or (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        filters = UsageFilters(first=first, last=last)
    elif args.first or args.last:
        raise InvalidInput(Text("cli.report.range_only_usage"))
    actor = acting_user(args)
    result = exports.export_report(actor=actor, kind=kind, fmt=args.format, filters=filters)
    data = result.data
    if data is None and result.job_id is not None:
        run_now(result.job_id, "cli")  # a large export is built right here instead of waiting for a worker
        job = jobs.job_progress(actor=actor, job_id=result.job_id, result=ReportExportResult)
        if job.status != JobStatus.done:
            raise InvalidInput(Text("cli.report.export_failed", error=job.error))
        _name, _mime, data = exports.download_export(actor=actor, job_id=result.job_id)
    assert data is not None
    write_private(args.out, data)
    return {"written": str(args.out), "rows": result.rows, "bytes": len(data), "file_name": result.file_name}


def _notify_test(args: argparse.Namespace) -> dict[str, str]:
    return {"sent_to": notification_delivery.send_test(actor=acting_user(args), to=args.to)}
