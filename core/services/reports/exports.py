"""Report exports: small ones built at once, large ones built by the worker and offered when ready."""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from sqlmodel import col, func, select

from core import audit
from core.db import session_scope
from core.errors import InvalidInput, NotFound
from core.formatting import warsaw_midnight
from core.jobs.kinds import REPORT_EXPORT, ReportExportPayload, ReportExportResult
from core.jobs.queue import start_job
from core.models import UsageDaily, UsageEvent
from core.security import Actor, Permission
from core.services.jobs import job_progress
from core.services.reports.tables import (
    Report,
    UsageFilters,
    certificate_calendar,
    links_and_credentials,
    usage_by_month,
    usage_events,
    write_csv,
    write_xlsx,
)
from core.settings import get_settings

REPORTS = {
    "usage": "Użycie: klient × miesiąc × rodzaj operacji",
    "usage_events": "Użycie: każda operacja",
    "links": "Połączenia i poświadczenia",
    "certificates": "Kalendarz certyfikatów",
}
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


def build(office_id: int, kind: str, filters: UsageFilters | None) -> Report:
    if kind in ("usage", "usage_events") and filters is None:
        raise InvalidInput("Raport użycia wymaga zakresu dat.")
    if kind == "usage":
        assert filters is not None
        return usage_by_month(office_id, filters)
    if kind == "usage_events":
        assert filters is not None
        return usage_events(office_id, filters)
    if kind == "links":
        return links_and_credentials(office_id)
    if kind == "certificates":
        return certificate_calendar(office_id)
    raise InvalidInput(f"Nieznany raport {kind!r}.")


def estimate_rows(office_id: int, kind: str, filters: UsageFilters | None) -> int:
    if filters is None or kind not in ("usage", "usage_events"):
        return 0
    with session_scope() as session:
        if kind == "usage_events":
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


def file_name(kind: str, fmt: str, filters: UsageFilters | None) -> str:
    span = f"_{filters.first:%Y%m%d}-{filters.last:%Y%m%d}" if filters else ""
    return f"{build_name(kind)}{span}.{fmt}"


def build_name(kind: str) -> str:
    return {"usage": "uzycie", "usage_events": "operacje", "links": "polaczenia", "certificates": "certyfikaty"}[kind]


def export_report(*, actor: Actor, kind: str, fmt: str, filters: UsageFilters | None = None) -> ExportResult:
    actor.require(Permission.export_reports)
    if kind not in REPORTS or fmt not in FORMATS:
        raise InvalidInput("Wybierz raport i format (CSV albo XLSX).")
    if filters is not None and filters.last < filters.first:
        raise InvalidInput("Data końcowa jest wcześniejsza niż początkowa.")
    name = file_name(kind, fmt, filters)
    estimated = estimate_rows(actor.office_id, kind, filters)
    if estimated > SMALL_EXPORT_ROWS:
        payload = ReportExportPayload(kind=kind, format=fmt, file_name=name)
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
                kind=kind,
                format=fmt,
                estimated_rows=estimated,
            )
        return ExportResult(name, FORMATS[fmt], None, job.id, estimated)
    with session_scope(write=True) as session:
        audit.record(session, actor, "report.export", name, kind=kind, format=fmt, estimated_rows=estimated)
    buffer = io.BytesIO()
    report = build(actor.office_id, kind, filters)
    rows = write_csv(report, buffer) if fmt == "csv" else write_xlsx(report, buffer)
    return ExportResult(name, FORMATS[fmt], buffer.getvalue(), None, rows)


def export_task(*, actor: Actor, job_id: int, payload: ReportExportPayload) -> ReportExportResult:
    """Build a large export into the exports folder; the page offers it for download when the job is done."""
    actor.require(Permission.export_reports)
    folder = get_settings().exports_dir / str(actor.office_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{job_id}-{payload.file_name}"
    report = build(actor.office_id, payload.kind, _filters(payload))
    if payload.format == "csv":
        with path.open("wb") as handle:
            rows = write_csv(report, handle)
    else:
        rows = write_xlsx(report, str(path))
    return ReportExportResult(path=str(path), file_name=payload.file_name, rows=rows)


def download_export(*, actor: Actor, job_id: int) -> tuple[str, str, bytes]:
    """(file name, mime, bytes) of a finished export job of the actor's office."""
    actor.require(Permission.export_reports)
    try:
        job = job_progress(actor=actor, job_id=job_id, result=ReportExportResult)
    except NotFound:
        raise NotFound("Nie ma takiego eksportu.") from None
    if job.status != "done" or job.result is None:
        raise NotFound("Eksport jeszcze się tworzy.")
    path = Path(job.result.path)
    if not path.is_file():
        raise NotFound("Plik eksportu został już usunięty; utwórz go ponownie.")
    fmt = path.suffix.removeprefix(".")
    return job.result.file_name, FORMATS.get(fmt, "application/octet-stream"), path.read_bytes()
