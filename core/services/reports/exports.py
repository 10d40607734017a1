"""Report exports: small ones built at once, large ones built by the worker and offered when ready."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from sqlmodel import col, func, select

from core import audit
from core.db import session_scope
from core.errors import InvalidInput, NotFound
from core.files import private_dir, private_file
from core.formatting import warsaw_midnight
from core.jobs.kinds import REPORT_EXPORT, ReportExportPayload, ReportExportResult
from core.jobs.queue import start_job
from core.models import UsageDaily, UsageEvent
from core.security import Actor, Permission
from core.services.jobs import job_progress
from core.services.reports.registry import ReportKind, ReportSpec, spec_of
from core.services.reports.rows import (
    UsageFilters,
    certificate_calendar,
    links_and_credentials,
    usage_by_month,
    usage_events,
)
from core.services.reports.writers import sheet, write_csv, write_xlsx
from core.services.scope import job_in_office, require_clients
from core.settings import get_settings
from core.texts import DEFAULT_LANGUAGE, Text, render
from core.types import JobStatus

FORMATS = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
SMALL_EXPORT_ROWS = 20_000


@dataclass(frozen=True)
class ExportResult:
    file_name: str
    mime: str
    data: bytes | None  # ready now
    job_id: int | None  # or being built by the worker
    rows: int


def _filters(payload: ReportExportPayload) -> UsageFilters | None:
    if payload.first is None or payload.last is None:
        return None
    return UsageFilters(
        first=payload.first,
        last=payload.last,
        client_ids=list(payload.client_ids) or None,
        kinds=list(payload.kinds) or None,
    )


def check_clients(actor: Actor, filters: UsageFilters | None) -> None:
    """The filter's clients are the actor's office's (another office's id is not found, never an empty report)."""
    if filters is not None and filters.client_ids:
        require_clients(actor, filters.client_ids)


def check_choice(kind: str, filters: UsageFilters | None) -> ReportSpec:
    """The report asked for, or one clear sentence why it cannot be made."""
    spec = spec_of(kind)
    if spec is None:
        raise InvalidInput(Text("report.unknown", kind=kind))
    if spec.needs_dates and filters is None:
        raise InvalidInput(Text("report.needs_dates"))
    if filters is not None and filters.last < filters.first:
        raise InvalidInput(Text("report.range_reversed"))
    return spec


def build(office_id: int, kind: ReportKind, filters: UsageFilters | None) -> Iterable[Any]:
    """The typed rows of a report (the usage events stream)."""
    if kind == ReportKind.usage and filters is not None:
        return usage_by_month(office_id, filters)
    if kind == ReportKind.usage_events and filters is not None:
        return usage_events(office_id, filters)
    if kind == ReportKind.links:
        return links_and_credentials(office_id)
    if kind == ReportKind.certificates:
        return certificate_calendar(office_id)
    raise InvalidInput(Text("report.needs_dates"))


def estimate_rows(office_id: int, spec: ReportSpec, filters: UsageFilters | None) -> int:
    """Rows of a usage report, counted cheaply, to decide whether the worker builds it; 0 for the others."""
    if filters is None or not spec.needs_dates:
        return 0
    with session_scope() as session:
        if spec.kind == ReportKind.usage_events:
            query = select(func.count()).where(
                UsageEvent.office_id == office_id,
                col(UsageEvent.occurred_at) >= warsaw_midnight(filters.first),
                col(UsageEvent.occurred_at) < warsaw_midnight(filters.last + timedelta(days=1)),
            )
        else:
            query = select(func.count()).where(
                UsageDaily.office_id == office_id,
                col(UsageDaily.day) >= filters.first,
                col(UsageDaily.day) <= filters.last,
            )
        return int(session.exec(query).one())


def file_name(spec: ReportSpec, fmt: str, filters: UsageFilters | None, lang: str = DEFAULT_LANGUAGE) -> str:
    span = f"_{filters.first:%Y%m%d}-{filters.last:%Y%m%d}" if filters else ""
    return f"{render(spec.file_stem, lang)}{span}.{fmt}"


def write(spec: ReportSpec, rows: Iterable[Any], fmt: str, out: IO[bytes] | str, lang: str = DEFAULT_LANGUAGE) -> int:
    """Write a report's rows as a file for people; returns the number of rows written."""
    table = sheet(spec, rows, lang)
    if isinstance(out, str):
        private_file(out)  # exports hold client data: 0600 before a byte is written (xlsxwriter keeps the mode)
    if fmt == "xlsx":
        return write_xlsx(table, out)
    if isinstance(out, str):
        with open(out, "wb") as handle:
            return write_csv(table, handle)
    return write_csv(table, out)


def export_report(
    *, actor: Actor, kind: str, fmt: str, filters: UsageFilters | None = None, lang: str = DEFAULT_LANGUAGE
) -> ExportResult:
    actor.require(Permission.export_reports)
    if fmt not in FORMATS:
        raise InvalidInput(Text("report.choose"))
    spec = check_choice(kind, filters)
    check_clients(actor, filters)
    name = file_name(spec, fmt, filters, lang)
    estimated = estimate_rows(actor.office_id, spec, filters)
    if estimated > SMALL_EXPORT_ROWS:
        payload = ReportExportPayload(kind=spec.kind, format=fmt, file_name=name, lang=lang)
        if filters is not None:
            payload = replace(
                payload,
                first=filters.first,
                last=filters.last,
                client_ids=tuple(filters.client_ids or ()),
                kinds=tuple(filters.kinds or ()),
            )
        with session_scope(write=True) as session:
            job = start_job(
                session,
                actor,
                REPORT_EXPORT,
                payload,
                action="report.export",
                target=name,
                subject=name,
                kind=spec.kind,
                format=fmt,
                estimated_rows=estimated,
            )
        return ExportResult(name, FORMATS[fmt], None, job.id, estimated)
    with session_scope(write=True) as session:
        audit.record(session, actor, "report.export", name, kind=spec.kind, format=fmt, estimated_rows=estimated)
    buffer = io.BytesIO()
    rows = write(spec, build(actor.office_id, spec.kind, filters), fmt, buffer, lang)
    return ExportResult(name, FORMATS[fmt], buffer.getvalue(), None, rows)


def export_task(*, actor: Actor, job_id: int, payload: ReportExportPayload) -> ReportExportResult:
    """Build a large export into the exports folder; the page offers it for download when the job is done."""
    actor.require(Permission.export_reports)
    with session_scope() as session:
        job_in_office(session, actor, job_id)
    filters = _filters(payload)
    spec = check_choice(payload.kind, filters)
    check_clients(actor, filters)
    folder = private_dir(private_dir(get_settings().exports_dir) / str(actor.office_id))
    path = folder / f"{job_id}-{payload.file_name}"
    rows = write(spec, build(actor.office_id, spec.kind, filters), payload.format, str(path), payload.lang)
    return ReportExportResult(path=str(path), file_name=payload.file_name, rows=rows)


def download_export(*, actor: Actor, job_id: int) -> tuple[str, str, bytes]:
    """(file name, mime, bytes) of a finished export job of the actor's office."""
    actor.require(Permission.export_reports)
    try:
        job = job_progress(actor=actor, job_id=job_id, result=ReportExportResult)
    except NotFound:
        raise NotFound(Text("report.export.not_found")) from None
    if job.status != JobStatus.done or job.result is None:
        raise NotFound(Text("report.export.pending"))
    path = Path(job.result.path)
    if not path.is_file():
        raise NotFound(Text("report.export.gone"))
    fmt = path.suffix.removeprefix(".")
    return job.result.file_name, FORMATS.get(fmt, "application/octet-stream"), path.read_bytes()
