"""Reading sessions back (PROTOCOL.md §5.4): lists, status, invoices, and UPO documents with their download links."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from simulator import upo
from simulator.api import Call, continuation_page, endpoint, json_response
from simulator.crypto import sha256_b64
from simulator.errors import ApiError
from simulator.invoicequery import KSEF_NUMBER
from simulator.runtime import Simulator
from simulator.sessions import BATCH_STATUS, SESSION_STATUS, find_session, settle
from simulator.state import Invoice, OnlineSession, SessionInvoice
from simulator.timeutil import iso, iso_or_none, parse_datetime

STATUS_GROUPS = {
    "InProgress": (100, 150, 170),
    "Succeeded": (200,),
    "Failed": (405, 415, 420, 430, 435, 445, 500),
    "Cancelled": (440,),
}


def _status(session: OnlineSession) -> dict[str, Any]:
    code = session.status_code
    descriptions = BATCH_STATUS if session.kind == "Batch" else SESSION_STATUS
    status: dict[str, Any] = {"code": code, "description": descriptions.get(code, "Nieznany błąd")}
    if code == 440:
        status["details"] = ["Nie przesłano faktur"]
    if session.status_details:
        status["details"] = session.status_details
    return status


def _counts(session: OnlineSession) -> tuple[int, int, int]:
    ok = sum(1 for invoice in session.invoices if invoice.status_code == 200)
    return len(session.invoices), ok, len(session.invoices) - ok


def _stored(sim: Simulator, entry: SessionInvoice) -> Invoice | None:
    return sim.state.invoices.get(entry.ksef_number) if entry.ksef_number else None


def _upo_page_path(session: OnlineSession) -> str:
    return f"/storage/upo/{session.reference_number}/{session.upo_reference}"


def _invoice_upo_path(session: OnlineSession, entry: SessionInvoice) -> str:
    return f"/storage/upo/{session.reference_number}/invoices/{entry.reference_number}"


def _invoice_view(call: Call, session: OnlineSession, entry: SessionInvoice) -> dict[str, Any]:
    stored = _stored(call.sim, entry)
    status: dict[str, Any] = {"code": entry.status_code, "description": entry.status_description}
    if entry.status_details:
        status["details"] = entry.status_details
    if entry.status_extensions:
        status["extensions"] = entry.status_extensions
    view: dict[str, Any] = {
        "ordinalNumber": entry.ordinal_number,
        "invoiceNumber": entry.invoice_number,
        "ksefNumber": entry.ksef_number,
        "referenceNumber": entry.reference_number,
        "invoiceHash": entry.invoice_hash,
        "acquisitionDate": iso_or_none(stored.acquisition_date if stored else None),
        "invoicingDate": iso(entry.invoicing_date),
        # filled in asynchronously by KSeF: null until the invoice is permanently stored
        "permanentStorageDate": iso_or_none(
            stored.permanent_storage_date if stored and stored.permanent_storage_date <= call.now else None
        ),
        "invoicingMode": entry.invoicing_mode,
        "status": status,
    }
    if entry.file_name is not None:
        view["invoiceFileName"] = entry.file_name
    if stored is not None:
        url, expires = upo.presigned_url(call.sim, call.base_url, _invoice_upo_path(session, entry))
        view["upoDownloadUrl"], view["upoDownloadUrlExpirationDate"] = url, iso(expires)
    return view


@endpoint("GET", "/sessions")
async def list_sessions(call: Call) -> Response:
    principal = call.require_principal()
    session_type = call.query_enum("sessionType", ("Online", "Batch"))
    if session_type is None:
        raise ApiError(21405, "sessionType: parametr jest wymagany.")
    statuses = call.query_list("statuses")
    if any(status not in STATUS_GROUPS for status in statuses):
        raise ApiError(21405, f"statuses: dozwolone wartości {list(STATUS_GROUPS)}.")
    codes = {code for status in statuses for code in STATUS_GROUPS[status]}
    bounds = {}
    for name in (
        "dateCreatedFrom",
        "dateCreatedTo",
        "dateClosedFrom",
        "dateClosedTo",
        "dateModifiedFrom",
        "dateModifiedTo",
    ):
        if value := call.request.query_params.get(name):
            try:
                bounds[name] = parse_datetime(value)
            except ValueError:
                raise ApiError(21405, f"{name}: niepoprawna data.") from None
    reference = call.request.query_params.get("referenceNumber")
    wider = {"Introspection", "EnforcementOperations"} & set(principal.permissions)

    def wanted(session: OnlineSession) -> bool:
        checks = (
            ("dateCreated", session.created),
            ("dateClosed", session.closed_at),
            ("dateModified", session.updated),
        )
        for prefix, value in checks:
            low, high = bounds.get(f"{prefix}From"), bounds.get(f"{prefix}To")
            if value is None:
                if low or high:
                    return False
                continue
            if (low and value < low) or (high and value > high):
                return False
        mine = (session.author.type, session.author.value) == (principal.identity.type, principal.identity.value)
        return (
            session.context_nip == principal.context_nip
            and (wider or mine)
            and (not reference or session.reference_number == reference)
            and (not codes or session.status_code in codes)
        )

    sessions = [
        settle(call.sim, s)
        for s in sorted(call.sim.state.sessions.values(), key=lambda s: s.created, reverse=True)
        if s.kind == session_type and wanted(s)
    ]
    page, token = continuation_page(call, sessions, 1000)
    items = []
    for session in page:
        total, ok, failed = _counts(session)
        items.append(
            {
                "referenceNumber": session.reference_number,
                "status": _status(session),
                "dateCreated": iso(session.created),
                "dateUpdated": iso(session.updated),
                "validUntil": iso(session.valid_until),
                "totalInvoiceCount": total,
                "successfulInvoiceCount": ok,
                "failedInvoiceCount": failed,
            }
        )
    return json_response({"continuationToken": token, "sessions": items})


@endpoint("GET", "/sessions/{referenceNumber}")
async def session_status(call: Call) -> Response:
    session = find_session(call)
    total, ok, failed = _counts(session)
    payload: dict[str, Any] = {
        "status": _status(session),
        "dateCreated": iso(session.created),
        "dateUpdated": iso(session.updated),
        "validUntil": iso(session.valid_until),
        "invoiceCount": total,
        "successfulInvoiceCount": ok,
        "failedInvoiceCount": failed,
    }
    if session.upo_reference:
        url, expires = upo.presigned_url(call.sim, call.base_url, _upo_page_path(session))
        payload["upo"] = {
            "pages": [
                {
                    "referenceNumber": session.upo_reference,
                    "downloadUrl": url,
                    "downloadUrlExpirationDate": iso(expires),
                }
            ]
        }
    return json_response(payload)


def _invoice_list(call: Call, only_failed: bool) -> Response:
    session = find_session(call)
    entries = [e for e in session.invoices if not only_failed or e.status_code != 200]
    page, token = continuation_page(call, entries, 1000)
    return json_response({"continuationToken": token, "invoices": [_invoice_view(call, session, e) for e in page]})


@endpoint("GET", "/sessions/{referenceNumber}/invoices")
async def session_invoices(call: Call) -> Response:
    return _invoice_list(call, only_failed=False)


@endpoint("GET", "/sessions/{referenceNumber}/invoices/failed")
async def session_failed_invoices(call: Call) -> Response:
    return _invoice_list(call, only_failed=True)


def _entry(call: Call, session: OnlineSession) -> SessionInvoice:
    reference = call.path_reference("invoiceReferenceNumber")
    entry = next((e for e in session.invoices if e.reference_number == reference), None)
    if entry is None:
        raise ApiError(21405, f"Faktura o numerze referencyjnym {reference} nie istnieje w sesji.")
    return entry


@endpoint("GET", "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}")
async def session_invoice(call: Call) -> Response:
    session = find_session(call)
    return json_response(_invoice_view(call, session, _entry(call, session)))


def xml_response(body: bytes) -> Response:
    return Response(body, media_type="application/xml", headers={"x-ms-meta-hash": sha256_b64(body)})


def invoice_upo(sim: Simulator, session: OnlineSession, entry: SessionInvoice | None) -> Response:
    stored = _stored(sim, entry) if entry is not None else None
    if entry is None or stored is None:
        raise ApiError(21178, f"UPO dla sesji {session.reference_number} nie zostało znalezione.")
    authentication = sim.state.auth_operations.get(session.auth_reference)
    return xml_response(upo.build(session, authentication, [stored]))


def session_upo(sim: Simulator, session: OnlineSession, upo_reference: str) -> Response:
    if session.upo_reference is None or upo_reference != session.upo_reference:
        raise ApiError(
            21178,
            f"UPO o numerze referencyjnym {upo_reference} dla sesji {session.reference_number} nie zostało znalezione.",
        )
    stored = [i for e in session.invoices if (i := _stored(sim, e)) is not None][: upo.PAGE_SIZE]
    authentication = sim.state.auth_operations.get(session.auth_reference)
    return xml_response(upo.build(session, authentication, stored, (1, 1, 1, len(stored))))


@endpoint("GET", "/sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo")
async def upo_by_ksef_number(call: Call) -> Response:
    session = find_session(call)
    number = call.params["ksefNumber"]
    if not KSEF_NUMBER.match(number):
        raise ApiError(21405, f"ksefNumber: {number!r} nie jest poprawnym numerem KSeF.")
    entry = next((e for e in session.invoices if e.ksef_number == number), None)
    if entry is None:
        raise ApiError(
            21178,
            f"UPO o numerze KSeF {number} i numerze referencyjnym sesji "
            f"{session.reference_number} nie zostało znalezione.",
        )
    return invoice_upo(call.sim, session, entry)


@endpoint("GET", "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo")
async def upo_by_invoice_reference(call: Call) -> Response:
    session = find_session(call)
    reference = call.path_reference("invoiceReferenceNumber")
    return invoice_upo(call.sim, session, next((e for e in session.invoices if e.reference_number == reference), None))


@endpoint("GET", "/sessions/{referenceNumber}/upo/{upoReferenceNumber}")
async def upo_page(call: Call) -> Response:
    session = find_session(call)
    return session_upo(call.sim, session, call.path_reference("upoReferenceNumber"))
