"""Invoice exports (PROTOCOL.md §7.3): an encrypted ZIP/TarGz package, split into parts behind pre-signed URLs.

The package is built when the export is requested (a snapshot of that moment) and becomes visible after
`exportPendingSeconds`. Files are `{ksefNumber}.xml` plus `_metadata.json` = {"invoices": [InvoiceMetadata...]}, in
ascending order of the chosen date, at most 10,000 invoices (`isTruncated` beyond). Each part is encrypted separately
with the client's AES key and IV. Exports are not persisted: their packages are large and short-lived.
"""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from starlette.responses import Response

from simulator import crypto, upo
from simulator.api import Call, endpoint, json_response
from simulator.errors import ApiError, Gone
from simulator.invoicequery import HWM_DETAIL, RESULT_LIMIT, BeyondHwm, select
from simulator.runtime import Simulator
from simulator.state import Invoice
from simulator.timeutil import iso, iso_or_none

MAX_CONCURRENT = 10
RETENTION = timedelta(days=7)
PACKAGE_LIFETIME = timedelta(days=1)  # the contract gives packageExpirationDate but no value
EXPORT_STATUS = {
    100: "Eksport faktur w toku",
    200: "Eksport faktur zakończony sukcesem",
    210: "Eksport faktur wygasł i nie jest już dostępny do pobrania",
    415: "Błąd odszyfrowania dostarczonego klucza",
    420: "Zakres filtrowania wykracza poza dostępny zakres danych",
}


@dataclass
class Export:
    reference_number: str
    context_nip: str
    created: datetime
    ready_at: datetime
    status_code: int
    details: list[str] = field(default_factory=list)
    compression: str = "Zip"
    parts: list[bytes] = field(default_factory=list)  # encrypted
    part_info: list[dict[str, Any]] = field(default_factory=list)
    package: dict[str, Any] | None = None


def _archive(invoices: list[Invoice], metadata: list[dict[str, Any]], compression: str, only_metadata: bool) -> bytes:
    files = [] if only_metadata else [(f"{i.ksef_number}.xml", i.xml.encode("utf-8")) for i in invoices]
    files.append(("_metadata.json", json.dumps({"invoices": metadata}, ensure_ascii=False).encode("utf-8")))
    buffer = io.BytesIO()
    if compression == "TarGz":
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            for name, data in files:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    else:
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in files:
                archive.writestr(name, data)
    return buffer.getvalue()


def _build(sim: Simulator, export: Export, body: dict[str, Any], key: bytes, iv: bytes) -> None:
    try:
        selection = select(sim, export.context_nip, body["filters"])
    except BeyondHwm:
        export.status_code, export.details = 420, [HWM_DETAIL]
        return
    included = selection.invoices[:RESULT_LIMIT]
    metadata = [sim.invoice_index.metadata(invoice) for invoice in included]
    archive = _archive(included, metadata, export.compression, bool(body.get("onlyMetadata")))
    size = sim.state.settings.export_part_size_bytes
    chunks = [archive[start : start + size] for start in range(0, len(archive), size)] or [b""]
    extension = "tar.gz" if export.compression == "TarGz" else "zip"
    for ordinal, chunk in enumerate(chunks, start=1):
        encrypted = crypto.aes_cbc_encrypt(chunk, key, iv)
        export.parts.append(encrypted)
        export.part_info.append(
            {
                "ordinalNumber": ordinal,
                "partName": f"{export.reference_number}-{ordinal:03d}.{extension}.aes",
                "method": "GET",
                "partSize": len(chunk),
                "partHash": crypto.sha256_b64(chunk),
                "encryptedPartSize": len(encrypted),
                "encryptedPartHash": crypto.sha256_b64(encrypted),
            }
        )
    last = included[-1] if included else None
    export.package = {
        "invoiceCount": len(included),
        "size": len(archive),
        "isTruncated": len(selection.invoices) > RESULT_LIMIT,
        "lastIssueDate": last.issue_date.isoformat() if last else None,
        "lastInvoicingDate": iso_or_none(last.invoicing_date if last else None),
        "lastPermanentStorageDate": iso_or_none(last.permanent_storage_date if last else None),
        "permanentStorageHwmDate": iso_or_none(selection.hwm),
        "compressionType": export.compression,  # required by 2.9 clients (PROTOCOL.md §19)
    }


def _in_progress(sim: Simulator, context_nip: str) -> int:
    now = sim.now()
    return sum(1 for e in sim.exports.values() if e.context_nip == context_nip and e.ready_at > now)


@endpoint("POST", "/invoices/exports")
async def start_export(call: Call) -> Response:
    sim, principal = call.sim, call.require_principal()
    body = await call.json()
    if _in_progress(sim, principal.context_nip) >= MAX_CONCURRENT:
        raise ApiError(
            21182,
            f"Dla uwierzytelnionego podmiotu w bieżącym kontekście osiągnięto maksymalny limit "
            f"{MAX_CONCURRENT} równoczesnych eksportów faktur. Spróbuj ponownie później.",
        )
    key, iv = sim.symmetric_key(body["encryption"])
    now = sim.now()
    export = Export(
        reference_number=sim.reference_number("EH"),
        context_nip=principal.context_nip,
        created=now,
        ready_at=now + timedelta(seconds=sim.state.settings.export_pending_seconds),
        status_code=200,
        compression=body.get("compressionType") or "Zip",
    )
    if key is None:
        export.status_code = 415  # the export key could not be decrypted
    else:
        _build(sim, export, body, key, iv)
    sim.exports[export.reference_number] = export
    return json_response({"referenceNumber": export.reference_number}, 201)


def part_path(export: Export, ordinal: int) -> str:
    return f"/storage/exports/{export.reference_number}/{ordinal}"


@endpoint("GET", "/invoices/exports/{referenceNumber}")
async def export_status(call: Call) -> Response:
    reference = call.path_reference()
    export = call.sim.exports.get(reference)
    if export is None or export.context_nip != call.require_principal().context_nip:
        raise ApiError(21175)
    now = call.now
    if now - export.created > RETENTION:
        raise Gone(f"Eksport {reference} nie jest już dostępny.")
    code = 100 if now < export.ready_at else export.status_code
    expires = export.ready_at + PACKAGE_LIFETIME
    if code == 200 and now > expires:
        code = 210
    status: dict[str, Any] = {"code": code, "description": EXPORT_STATUS.get(code, "Nieznany błąd")}
    if code in (415, 420) and export.details:
        status["details"] = export.details
    payload: dict[str, Any] = {"status": status}
    if code == 200 and export.package is not None:
        parts = []
        for info in export.part_info:  # URLs are regenerated on every status call
            url, url_expires = upo.presigned_url(call.sim, call.base_url, part_path(export, info["ordinalNumber"]))
            parts.append({**info, "url": url, "expirationDate": iso(url_expires)})
        payload.update(
            completedDate=iso(export.ready_at),
            packageExpirationDate=iso(expires),
            package={**export.package, "parts": parts},
        )
    return json_response(payload)
