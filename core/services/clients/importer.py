"""Import of clients from CSV or XLSX exported by accounting programs.

Columns: NIP, nazwa, e-mail, id w ERP, środowisko (names matched without case, spaces or Polish letters). Every row is
checked before anything is written; the file applies whole, in one transaction, or not at all, and every bad row is
reported as "wiersz N: …" with N the row number a spreadsheet shows (the header is row 1).
"""

from __future__ import annotations

import base64
import csv
import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import select

from core import audit
from core.db import session_scope
from core.errors import InvalidInput
from core.jobs.kinds import CLIENT_IMPORT, ClientImportPayload, ClientImportResult
from core.jobs.queue import start_job
from core.jobs.spec import Progress, no_progress
from core.models import Client, ClientCreate, Office
from core.security import Actor, Permission
from core.services.clients.register import check_client_fields, insert_client
from core.services.reports.writers import Sheet, write_csv, write_xlsx
from core.texts import Text, render
from core.types import KsefEnvironment

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
COLUMN_ALIASES = {
    "nip": "nip",
    "nipklienta": "nip",
    "nazwa": "name",
    "nazwafirmy": "name",
    "nazwaklienta": "name",
    "name": "name",  # the English template's header
    "firma": "name",
    "email": "email",
    "mail": "email",
    "adresemail": "email",
    "idwerp": "erp_id",
    "iderp": "erp_id",
    "erpid": "erp_id",
    "erp": "erp_id",
    "identyfikatorerp": "erp_id",
    "srodowisko": "environment",
    "srodowiskoksef": "environment",
    "environment": "environment",
}
REQUIRED_COLUMNS = {"nip": "NIP", "name": "nazwa"}


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def applied(self) -> bool:
        return not self.errors and self.imported > 0

    def result(self) -> ClientImportResult:
        status = "imported" if self.applied else ("refused" if self.errors else "empty")
        return ClientImportResult(status=status, rows=self.rows, imported=self.imported, errors=tuple(self.errors))


def _column_key(header: str) -> str:
    text = unicodedata.normalize("NFKD", str(header or "")).encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in text if ch.isalnum())


def _decode(content: bytes) -> str:
    # Polish Excel saves CSV as UTF-8 with BOM or as Windows-1250, and "Unicode text" as UTF-16 with its BOM.
    if content.startswith((b"\xff\xfe", b"\xfe\xff")) and not content.startswith(b"\xff\xfe\x00\x00"):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            raise InvalidInput(Text("import.encoding")) from None
    if b"\x00" in content:  # UTF-16/32 without a mark, or a binary file: no text of ours holds a NUL
        raise InvalidInput(Text("import.encoding"))
    for encoding in ("utf-8-sig", "cp1250"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(Text("import.encoding"))


def _read_csv(content: bytes) -> list[list[str]]:
    text = _decode(content)
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:  # e.g. a lone carriage return inside a field: one sentence, never a traceback
        raise InvalidInput(Text("import.bad_csv")) from None


def _read_xlsx(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise InvalidInput(Text("import.bad_xlsx")) from None
    sheet = workbook.worksheets[0]
    rows = [["" if v is None else _cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    workbook.close()
    return rows


def _cell_text(value: Any) -> str:
    # Excel stores a NIP typed as a number as a float; 1234563218.0 must read back as "1234563218".
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_table(filename: str, content: bytes) -> list[list[str]]:
    if len(content) > MAX_FILE_BYTES:
        raise InvalidInput(Text("import.too_big", megabytes=MAX_FILE_BYTES // 1024 // 1024))
    if not content.strip():
        raise InvalidInput(Text("import.empty"))
    name = filename.lower()
    if name.endswith(".xlsx") or content[:2] == b"PK":
        return _read_xlsx(content)
    if name.endswith((".csv", ".txt")) or not name:
        return _read_csv(content)
    raise InvalidInput(Text("import.file_type"))


def _map_header(header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, title in enumerate(header):
        key = COLUMN_ALIASES.get(_column_key(title))
        if key and key not in columns:
            columns[key] = index
    missing = [label for key, label in REQUIRED_COLUMNS.items() if key not in columns]
    if missing:
        raise InvalidInput(Text("import.missing_columns", missing=", ".join(missing)))
    return columns


def check_rows(
    table: list[list[str]],
    *,
    existing: dict[str, str],
    default_environment: KsefEnvironment,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[ClientCreate], ImportReport]:
    """Validate every row; return the clean rows and a report listing each bad row."""
    if not table:
        raise InvalidInput(Text("import.empty"))
    columns = _map_header(table[0])
    report = ImportReport()
    clean_rows: list[ClientCreate] = []
    first_seen: dict[str, int] = {}
    body = table[1:]
    if len(body) > MAX_ROWS:
        raise InvalidInput(Text("import.too_many_rows", limit=MAX_ROWS))
    for offset, row in enumerate(body):
        line = offset + 2
        if progress:
            progress(offset + 1, len(body))
        if not any(cell.strip() for cell in row):
            continue
        report.rows += 1

        def cell(key: str, row: list[str] = row) -> str:
            index = columns.get(key)
            return row[index].strip() if index is not None and index < len(row) else ""

        data = ClientCreate(
            nip=cell("nip"),
            name=cell("name"),
            email=cell("email"),
            erp_id=cell("erp_id"),
            environment=cell("environment"),
        )
        clean, problems = check_client_fields(data, default_environment=default_environment)
        if not problems and clean.nip in first_seen:
            problems.append(Text("import.repeated_nip", nip=clean.nip, first=first_seen[clean.nip]))
        if not problems and clean.nip in existing:
            problems.append(Text("import.exists", nip=clean.nip, name=existing[clean.nip]))
        if problems:
            report.errors.extend(Text("import.row", line=line, problem=problem) for problem in problems)
            continue
        first_seen[clean.nip] = line
        clean_rows.append(clean)
    if report.rows == 0:
        raise InvalidInput(Text("import.no_rows"))
    return clean_rows, report


TEMPLATE_COLUMNS = ("nip", "name", "email", "erp_id", "environment")
TEMPLATE_FORMATS = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def import_template(*, actor: Actor, fmt: str, lang: str = "pl") -> tuple[str, str, bytes]:
    """(file name, MIME type, bytes): the columns the import reads, headed in `lang`, and one example row."""
    actor.require(Permission.manage_clients)
    if fmt not in TEMPLATE_FORMATS:
        raise InvalidInput(Text("import.template.format"))
    template = Sheet(
        render("import.template.sheet", lang),
        [render(f"import.template.col.{column}", lang) for column in TEMPLATE_COLUMNS],
        [[render(f"import.template.example.{column}", lang) for column in TEMPLATE_COLUMNS]],
    )
    buffer = io.BytesIO()
    if fmt == "csv":
        write_csv(template, buffer)
    else:
        write_xlsx(template, buffer)
    return f"{render('import.template.file', lang)}.{fmt}", TEMPLATE_FORMATS[fmt], buffer.getvalue()


def apply_client_import(
    *, actor: Actor, filename: str, content: bytes, progress: Callable[[int, int], None] | None = None
) -> ImportReport:
    """Check the whole file, then insert every row in one transaction, or nothing."""
    actor.require(Permission.manage_clients)
    table = read_table(filename, content)
    with session_scope() as session:
        office = session.get(Office, actor.office_id)
        assert office is not None
        existing = dict(session.exec(select(Client.nip, Client.name).where(Client.office_id == actor.office_id)).all())
    rows, report = check_rows(
        table, existing=existing, default_environment=office.default_environment, progress=progress
    )
    with session_scope(write=True) as session:
        if report.errors:
            audit.record(session, actor, "client.import.refused", filename, rows=report.rows, errors=len(report.errors))
            return report
        office = session.get(Office, actor.office_id)
        assert office is not None
        taken = set(session.exec(select(Client.nip).where(Client.office_id == actor.office_id)).all())
        clash = [row.nip for row in rows if row.nip in taken]  # someone added one while we were checking
        if clash:
            report.errors.append(Text("import.clash", nip=clash[0]))
            return report
        for row in rows:
            insert_client(session, office=office, data=row)
        report.imported = len(rows)
        audit.record(session, actor, "client.import", filename, imported=report.imported)
    return report


def start_client_import(*, actor: Actor, filename: str, content: bytes) -> int:
    """Queue an import job (the UI's way); returns the job id whose progress and result the page shows."""
    actor.require(Permission.manage_clients)
    read_table(filename, content)  # refuse an unreadable file at once, not minutes later
    payload = ClientImportPayload(filename=filename, content_b64=base64.b64encode(content).decode())
    with session_scope(write=True) as session:
        job = start_job(
            session, actor, CLIENT_IMPORT, payload, action="client.import.start", target=filename, subject=filename
        )
    return job.id


def import_job(*, actor: Actor, payload: ClientImportPayload, progress: Progress = no_progress) -> ClientImportResult:
    """The import job's body: the whole file or nothing, and a file that cannot be read is a refusal, not a crash."""
    try:
        report = apply_client_import(
            actor=actor,
            filename=payload.filename,
            content=base64.b64decode(payload.content_b64),
            progress=lambda done, total: progress(done, total),
        )
    except InvalidInput as error:
        return ClientImportResult(status="refused", rows=0, imported=0, errors=tuple(error.problems))
    return report.result()
