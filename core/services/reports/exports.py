"""Report exports: small ones built at once, large ones built by the worker and offered when ready."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import col, func, select

from core import audit
from core.db import session_scope
from core.errors import InvalidInput, NotFound
from core.formatting import warsaw_midnight
from core.jobs import queue
from core.models import UsageDaily, UsageEvent
from core.security import Actor, Permission
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


def _filters(payload: dict[str, Any]) -> UsageFilters:
    return UsageFilters(
        first=date.fromisoformat(payload["first"]),
        last=date.fromisoformat(payload["last"]),
        client_ids=payload.get("client_ids") or None,
        kinds=payload.get("kinds") or None,
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
    with session_scope(write=True) as session:
        audit.record(session, actor, "report.export", name, kind=kind, format=fmt, estimated_rows=estimated)
    if estimated > SMALL_EXPORT_ROWS:
        payload: dict[str, Any] = {"kind": kind, "format": fmt, "file_name": name}
        if filters is not None:
            payload |= {"first": filters.first.isoformat(), "last": filters.last.isoformat(),
                        "client_ids": filters.client_ids or [], "kinds": filters.kinds or []}  # fmt: skip
        job_id = queue.enqueue(
            "report_export", subject=name[:120], period=uuid.uuid4().hex, payload=payload,
            office_id=actor.office_id, created_by=actor.user_id, max_attempts=2,
        )  # fmt: skip
        return ExportResult(name, FORMATS[fmt], None, job_id, estimated)
    buffer = io.BytesIO()
    report = build(actor.office_id, kind, filters)
    rows = write_csv(report, buffer) if fmt == "csv" else write_xlsx(report, buffer)
    return ExportResult(name, FORMATS[fmt], buffer.getvalue(), None, rows)


def export_task(context: Any) -> dict[str, Any]:
    """Build a large export into the exports folder; the page offers it for download when the job is done."""
    payload = context.payload
    office_id = context.job.office_id
    filters = _filters(payload) if "first" in payload else None
    folder = get_settings().exports_dir / str(office_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{context.job.id}-{payload['file_name']}"
    report = build(office_id, payload["kind"], filters)
    if payload["format"] == "csv":
        with path.open("wb") as handle:
            rows = write_csv(report, handle)
    else:
        rows = write_xlsx(report, str(path))
    return {"path": str(path), "file_name": payload["file_name"], "rows": rows}


def download_export(*, actor: Actor, job_id: int) -> tuple[str, str, bytes]:
    """(file name, mime, bytes) of a finished export job of the actor's office."""
    actor.require(Permission.export_reports)
    job = queue.get_job(job_id)
    if job is None or job.office_id != actor.office_id or job.kind != "report_export":
        raise NotFound("Nie ma takiego eksportu.")
    if job.status != "done":
        raise NotFound("Eksport jeszcze się tworzy.")
    path = Path(job.result["path"])
    if not path.is_file():
        raise NotFound("Plik eksportu został już usunięty; utwórz go ponownie.")
    fmt = path.suffix.removeprefix(".")
    return job.result["file_name"], FORMATS.get(fmt, "application/octet-stream"), path.read_bytes()
