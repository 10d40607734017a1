"""Batch sessions (PROTOCOL.md §6): open with the declared parts, upload them to pre-signed URLs, close, judge.

Open (`POST /sessions/batch`) records the declared package and answers one pre-signed `PUT` URL per part (the real
service's storage takes `x-ms-blob-type: BlockBlob`; ours checks only the signature). Uploads are kept in memory, not
in the saved state: an unfinished package does not survive a restart, as an expired upload window would not. Close
(`POST /sessions/batch/{ref}/close`) checks every declared part arrived with its declared size (21205, 21157), answers
204 and processes the package in the background (status 150 until done; other requests are served meanwhile): parts
are decrypted and joined (435), the archive's hash is checked (405), unzipped (430), counted against `maxInvoices`
(420), and each file is judged like an online invoice (`sessions.judge`), so an invalid invoice inside a good package
gets its own 430 while the rest are accepted. The session ends 200 when any invoice was accepted, 445 when none was,
440 when the upload window (parts × 20 minutes) ran out.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from simulator import crypto, fa3, faults
from simulator.api import Call, empty_response, endpoint, json_response
from simulator.crypto import storage_signature
from simulator.errors import ApiError
from simulator.runtime import Simulator
from simulator.sessions import (
    INVOICE_STATUS,
    SESSION_LIFETIME,
    SUPPORTED_FORM,
    find_session,
    judge,
)
from simulator.state import OnlineSession, SessionInvoice
from simulator.storage import signed
from simulator.upo import URL_LIFETIME

MAX_PART_PLAIN_BYTES = 100_000_000  # 100 MB (10^6) before encryption, PROTOCOL.md §6
MAX_PART_ENCRYPTED_BYTES = MAX_PART_PLAIN_BYTES + 16  # AES-CBC adds at most one block of padding
YIELD_EVERY = 25  # invoices judged between two turns of the event loop
_running: set[asyncio.Task[None]] = set()
UPLOAD_MINUTES_PER_PART = 20  # PROTOCOL.md §6: (number of parts × 20 min)
DEFAULT_LIMITS = {"maxInvoiceSizeInMB": 1, "maxInvoiceWithAttachmentSizeInMB": 3, "maxInvoices": 10_000}
PART_PATH = "/storage/batch/{session}/{ordinal}"


def batch_limits(sim: Simulator, context_nip: str) -> dict[str, int]:
    override = (sim.context(context_nip).session_limits or {}).get("batchSession") or {}
    return {**DEFAULT_LIMITS, **override}


def _parts(sim: Simulator, session: OnlineSession) -> dict[int, bytes]:
    return sim.batch_parts.setdefault(session.reference_number, {})


@endpoint("POST", "/sessions/batch")
async def open_batch(call: Call) -> Response:
    sim, principal = call.sim, call.require_principal()
    body = await call.json()
    form = body["formCode"]
    if (form["systemCode"], form["schemaVersion"], form["value"]) != SUPPORTED_FORM:
        raise ApiError(21405, "Wskazany kod formularza nie jest wspierany.")
    batch_file = body["batchFile"]
    if (batch_file.get("compressionType") or "Zip") != "Zip":
        raise ApiError(21405, "batchFile.compressionType: symulator obsługuje tylko Zip.")
    ordinals = sorted(part["ordinalNumber"] for part in batch_file["fileParts"])
    if ordinals != list(range(1, len(ordinals) + 1)):
        raise ApiError(21405, "batchFile.fileParts: numery części muszą być kolejne od 1.")
    for part in batch_file["fileParts"]:
        if part["fileSize"] > MAX_PART_ENCRYPTED_BYTES:
            raise ApiError(21157, f"Część {part['ordinalNumber']} przekracza 100 MB przed zaszyfrowaniem.")
    key, iv = sim.symmetric_key(body["encryption"])
    now = sim.now()
    session = OnlineSession(
        reference_number=sim.reference_number("SB"),
        context_nip=principal.context_nip,
        auth_reference=principal.operation.reference_number,
        author=principal.identity,
        form_code=dict(form),
        key=key or b"",
        iv=iv,
        created=now,
        updated=now,
        valid_until=now + SESSION_LIFETIME,
        status_code=100,
        kind="Batch",
        batch_file=batch_file,
        offline_mode=bool(body.get("offlineMode")),
        upload_deadline=now + timedelta(minutes=UPLOAD_MINUTES_PER_PART * len(ordinals)),
    )
    sim.state.sessions[session.reference_number] = session
    sim.touch()
    requests = []
    for ordinal in ordinals:
        path = PART_PATH.format(session=session.reference_number, ordinal=ordinal)
        stamp = int((now + URL_LIFETIME).timestamp())
        url = f"{call.base_url}{path}?se={stamp}&sig={storage_signature(sim.state.secret, path, stamp)}"
        headers = {"x-ms-blob-type": "BlockBlob"}
        requests.append({"ordinalNumber": ordinal, "method": "PUT", "url": url, "headers": headers})
    return json_response({"referenceNumber": session.reference_number, "partUploadRequests": requests}, 201)


def _batch_session(call: Call) -> OnlineSession:
    session = find_session(call)
    if session.kind != "Batch":
        raise ApiError(21173, f"Sesja o numerze referencyjnym {session.reference_number} nie została znaleziona.")
    return session


@endpoint("POST", "/sessions/batch/{referenceNumber}/close")
async def close_batch(call: Call) -> Response:
    sim = call.sim
    session = _batch_session(call)
    if session.status_code != 100:
        raise ApiError(21180, f"Status sesji {session.status_code} uniemożliwia jej zamknięcie.")
    if session.upload_deadline is not None and sim.now() > session.upload_deadline:
        _finish(sim, session, 440, ["Przekroczono czas wysyłki"])
        raise ApiError(21208, "Sesja anulowana, przekroczony czas wysyłki.")
    uploaded = _parts(sim, session)
    declared = sorted((session.batch_file or {}).get("fileParts", []), key=lambda p: p["ordinalNumber"])
    for part in declared:
        ordinal = part["ordinalNumber"]
        if ordinal not in uploaded:
            raise ApiError(21205, f"Nie przesłano zadeklarowanej '{ordinal}' części pliku.")
        if len(uploaded[ordinal]) != part["fileSize"]:
            raise ApiError(21157, f"Zadeklarowany rozmiar części '{ordinal}' nie zgadza się z rzeczywistym.")
    session.closed_at = session.updated = sim.now()
    session.status_code = 150  # processing: judged in the background, the status says when it is done
    parts = [uploaded[p["ordinalNumber"]] for p in declared]
    sim.batch_parts.pop(session.reference_number, None)
    task = asyncio.get_running_loop().create_task(_process(sim, session, parts, declared))
    _running.add(task)  # keep a reference until it ends
    task.add_done_callback(_running.discard)
    return empty_response(204)


def _finish(sim: Simulator, session: OnlineSession, code: int, details: list[str] | None = None) -> None:
    session.status_code = code
    session.status_details = details or []
    session.closed_at = session.closed_at or sim.now()
    session.updated = sim.now()
    if code == 200:
        session.upo_reference = sim.reference_number("EU")
    sim.batch_parts.pop(session.reference_number, None)
    sim.touch()


async def _process(sim: Simulator, session: OnlineSession, parts: list[bytes], declared: list[dict[str, Any]]) -> None:
    try:
        await _judge_package(sim, session, parts, declared)
    except Exception as error:  # never leave a session processing forever
        sim.record_incident("POST", f"/sessions/batch/{session.reference_number}/close", error)
        _finish(sim, session, 500)


async def _judge_package(
    sim: Simulator, session: OnlineSession, parts: list[bytes], declared: list[dict[str, Any]]
) -> None:
    if not session.key:
        _finish(sim, session, 415)
        return
    if any(crypto.sha256_b64(data) != part["fileHash"] for data, part in zip(parts, declared, strict=True)):
        _finish(sim, session, 405, ["Skrót części nie zgadza się z zadeklarowanym."])
        return
    try:
        archive = b"".join(crypto.aes_cbc_decrypt(data, session.key, session.iv) for data in parts)
    except ValueError:
        _finish(sim, session, 435)
        return
    batch_file = session.batch_file or {}
    if len(archive) != batch_file.get("fileSize") or crypto.sha256_b64(archive) != batch_file.get("fileHash"):
        _finish(sim, session, 405, ["Rozmiar lub skrót paczki nie zgadza się z zadeklarowanym."])
        return
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
            files = [(info.filename, zipped.read(info)) for info in zipped.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, ValueError, OSError):
        _finish(sim, session, 430)
        return
    limits = batch_limits(sim, session.context_nip)
    if len(files) > limits["maxInvoices"]:
        _finish(sim, session, 420)
        return
    if not files:
        _finish(sim, session, 440, ["Nie przesłano faktur"])
        return
    for index, (name, plain) in enumerate(files):
        if index % YIELD_EVERY == 0:
            await asyncio.sleep(0)  # other requests are served while a large package is judged
        entry = SessionInvoice(
            ordinal_number=len(session.invoices) + 1,
            reference_number=sim.reference_number("EE"),
            invoice_hash=crypto.sha256_b64(plain),
            invoicing_date=session.created,  # for batch the invoicing date is the session's open time (§6)
            status_code=430,
            status_description=INVOICE_STATUS[430],
            file_name=name[:128],
        )
        try:
            judge(sim, session, plain, {"offlineMode": session.offline_mode}, entry, limits)
        except fa3.InvoiceRejected as rejected:
            entry.status_code, entry.status_description = rejected.code, INVOICE_STATUS[rejected.code]
            entry.status_details = rejected.details
        session.invoices.append(entry)
    _finish(sim, session, 200 if any(e.status_code == 200 for e in session.invoices) else 445)


async def upload_part(request: Request) -> Response:
    """`PUT` of one encrypted part to its pre-signed URL: 201 on success, 403 on a wrong or expired signature or a
    session no longer taking parts, as a storage service would answer. Not rate limited; faults apply."""
    sim: Simulator = request.app.state.sim
    session = sim.state.sessions.get(request.path_params["session"])
    ordinal = int(request.path_params["ordinal"])
    if not signed(sim, request) or session is None or session.kind != "Batch" or session.status_code != 100:
        detail = "Podpis adresu jest nieprawidłowy lub wygasł albo sesja nie przyjmuje już części."
        return json_response({"error": "AuthenticationFailed", "detail": detail}, 403)
    injected = await faults.apply(sim, request, session.context_nip)
    if injected is not None:
        return injected
    declared = {p["ordinalNumber"] for p in (session.batch_file or {}).get("fileParts", [])}
    if ordinal not in declared:
        return json_response({"error": "InvalidUri", "detail": f"Część {ordinal} nie została zadeklarowana."}, 400)
    _parts(sim, session)[ordinal] = await request.body()
    session.updated = sim.now()
    sim.stats.record(session.context_nip, "storage", 201, None)
    return Response(status_code=201)
