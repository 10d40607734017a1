"""Online (interactive) sessions (PROTOCOL.md §5): open, send, close.

Invoices are judged synchronously when they arrive (the status is final at the first poll): size and hash of the
ciphertext and of the plaintext (HTTP 21402/21403), decryption (435), file rules and XSD (430), the seller must be the
context (410), the issue date must not be later than acceptance (450), the duplicate key (Podmiot1 NIP, RodzajFaktury,
P_2) gives 440 with the original's numbers, and otherwise a KSeF number with a correct CRC-8.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.responses import Response

from simulator import crypto, fa3
from simulator.api import Call, empty_response, endpoint, json_response
from simulator.errors import ApiError
from simulator.invoices import store_invoice
from simulator.runtime import Simulator
from simulator.state import OnlineSession, SessionInvoice
from simulator.timeutil import WARSAW, iso

SESSION_LIFETIME = timedelta(hours=12)
SUPPORTED_FORM = ("FA (3)", "1-0E", "FA")  # the only structure the simulator validates
DEFAULT_LIMITS = {"maxInvoiceSizeInMB": 1, "maxInvoiceWithAttachmentSizeInMB": 3, "maxInvoices": 10_000}
INVOICE_STATUS = {
    200: "Sukces",
    410: "Nieprawidłowy zakres uprawnień",
    430: "Błąd weryfikacji pliku faktury",
    435: "Błąd odszyfrowania pliku",
    440: "Duplikat faktury",
    450: "Błąd weryfikacji semantyki dokumentu faktury",
}
SESSION_STATUS = {
    100: "Sesja interaktywna otwarta",
    170: "Sesja interaktywna zamknięta",
    200: "Sesja interaktywna przetworzona pomyślnie",
    415: "Błąd odszyfrowania dostarczonego klucza",
    440: "Sesja anulowana",
    445: "Błąd weryfikacji, brak poprawnych faktur",
}

BATCH_STATUS = {  # batch sessions (§6) use their own descriptions
    100: "Sesja wsadowa rozpoczęta",
    150: "Trwa przetwarzanie",
    200: "Sesja wsadowa przetworzona pomyślnie",
    405: "Błąd weryfikacji poprawności dostarczonych elementów paczki",
    415: "Błąd odszyfrowania dostarczonego klucza",
    420: "Przekroczony limit faktur w sesji",
    430: "Błąd dekompresji pierwotnego archiwum",
    435: "Błąd odszyfrowania zaszyfrowanych części archiwum",
    440: "Sesja anulowana",
    445: "Błąd weryfikacji, brak poprawnych faktur",
}


def online_limits(sim: Simulator, context_nip: str) -> dict[str, int]:
    override = (sim.context(context_nip).session_limits or {}).get("onlineSession") or {}
    return {**DEFAULT_LIMITS, **override}


def settle(sim: Simulator, session: OnlineSession) -> OnlineSession:
    """An open session past its 12 hours is closed as if the client had closed it; a batch session whose upload
    window ran out is cancelled (440)."""
    if session.kind == "Batch":
        if session.status_code == 100 and session.upload_deadline and sim.now() > session.upload_deadline:
            session.status_code, session.status_details = 440, ["Przekroczono czas wysyłki"]
            session.closed_at = session.updated = sim.now()
            sim.batch_parts.pop(session.reference_number, None)
            sim.touch()
        return session
    if session.status_code == 100 and sim.now() >= session.valid_until:
        close_session(sim, session)
    return session


def close_session(sim: Simulator, session: OnlineSession) -> None:
    session.closed_at = session.updated = sim.now()
    if not session.invoices:
        session.status_code = 440
    elif not any(invoice.status_code == 200 for invoice in session.invoices):
        session.status_code = 445
    else:
        session.status_code = 200
        session.upo_reference = sim.reference_number("EU")
    sim.touch()


def find_session(call: Call) -> OnlineSession:
    reference = call.path_reference()
    session = call.sim.state.sessions.get(reference)
    principal = call.require_principal()
    if session is None or session.context_nip != principal.context_nip:
        raise ApiError(21173, f"Sesja o numerze referencyjnym {reference} nie została znaleziona.")
    wider = {"Introspection", "EnforcementOperations"} & set(principal.permissions)
    author = (session.author.type, session.author.value) == (principal.identity.type, principal.identity.value)
    if not wider and not author:  # InvoiceWrite sees only its own sessions
        raise ApiError(21173, f"Sesja o numerze referencyjnym {reference} nie została znaleziona.")
    return settle(call.sim, session)


@endpoint("POST", "/sessions/online")
async def open_session(call: Call) -> Response:
    sim, principal = call.sim, call.require_principal()
    body = await call.json()
    form = body["formCode"]
    if (form["systemCode"], form["schemaVersion"], form["value"]) != SUPPORTED_FORM:
        raise ApiError(21405, "Wskazany kod formularza nie jest wspierany.")
    key, iv = sim.symmetric_key(body["encryption"])
    status = 100 if key is not None else 415  # 415: the session key could not be decrypted
    now = sim.now()
    session = OnlineSession(
        reference_number=sim.reference_number("SO"),
        context_nip=principal.context_nip,
        auth_reference=principal.operation.reference_number,
        author=principal.identity,
        form_code=dict(form),
        key=key or b"",
        iv=iv,
        created=now,
        updated=now,
        valid_until=now + SESSION_LIFETIME,
        status_code=status,
    )
    sim.state.sessions[session.reference_number] = session
    sim.touch()
    return json_response({"referenceNumber": session.reference_number, "validUntil": iso(session.valid_until)}, 201)


def _check_sizes(body: dict[str, Any], content: bytes, plain: bytes | None) -> None:
    if body["encryptedInvoiceSize"] != len(content):
        raise ApiError(21402, "Długość treści nie zgadza się z rozmiarem pliku.")
    if body["encryptedInvoiceHash"] != crypto.sha256_b64(content):
        raise ApiError(21403, "Skrót treści nie zgadza się ze skrótem pliku.")
    if plain is not None and body["invoiceSize"] != len(plain):
        raise ApiError(21402, "Długość treści nie zgadza się z rozmiarem pliku.")
    if plain is not None and body["invoiceHash"] != crypto.sha256_b64(plain):
        raise ApiError(21403, "Skrót treści nie zgadza się ze skrótem pliku.")


def _check_correction(sim: Simulator, context_nip: str, corrected_hash: str | None) -> None:
    if not corrected_hash:
        return
    for session in sim.state.sessions.values():
        if session.context_nip != context_nip:
            continue
        for invoice in session.invoices:
            if invoice.invoice_hash == corrected_hash and invoice.status_code == 200:
                raise ApiError(21167, "Nie można wysłać korekty technicznej do prawidłowo przetworzonej faktury.")


def judge(
    sim: Simulator,
    session: OnlineSession,
    plain: bytes,
    body: dict[str, Any],
    entry: SessionInvoice,
    limits: dict[str, int] | None = None,
) -> None:
    """Fill in the invoice's final status; store it when accepted. Batch sessions pass their own limits."""
    limits = limits or online_limits(sim, session.context_nip)
    if len(plain) > limits["maxInvoiceSizeInMB"] * 1_000_000:
        raise fa3.InvoiceRejected(430, [f"Faktura przekracza {limits['maxInvoiceSizeInMB']} MB."])
    parsed = fa3.check_and_parse(plain)
    entry.invoice_number = parsed.invoice_number
    if parsed.system_code != session.form_code.get("systemCode"):
        raise fa3.InvoiceRejected(430, [f"Kod formularza {parsed.system_code!r} jest inny niż kod sesji."])
    if parsed.seller.identifier_value != session.context_nip:
        raise fa3.InvoiceRejected(
            410,
            [f"Podmiot1 (NIP {parsed.seller.identifier_value}) nie jest podmiotem kontekstu {session.context_nip}."],
        )
    today = sim.now().astimezone(WARSAW).date()
    if parsed.issue_date > today:
        raise fa3.InvoiceRejected(450, ["Data wystawienia (P_1) jest późniejsza niż data przyjęcia faktury."])
    original = sim.invoice_index.duplicate_of(session.context_nip, parsed.invoice_kind, parsed.invoice_number)
    if original is not None:
        entry.status_code, entry.status_description = 440, INVOICE_STATUS[440]
        entry.status_details = [f"Duplikat faktury o numerze KSeF {original.ksef_number}."]
        entry.status_extensions = {
            "originalSessionReferenceNumber": original.session_reference,
            "originalKsefNumber": original.ksef_number,
        }
        return
    offline = bool(body.get("offlineMode")) or parsed.issue_date < entry.invoicing_date.astimezone(WARSAW).date()
    acquisition = sim.now()
    lag = timedelta(seconds=sim.state.settings.permanent_storage_lag_seconds)
    invoice = store_invoice(
        sim,
        xml=plain.decode("utf-8"),
        parsed=parsed,
        invoicing_date=entry.invoicing_date,
        acquisition_date=acquisition,
        permanent_storage_date=acquisition + lag,
        invoicing_mode="Offline" if offline else "Online",
        session_reference=session.reference_number,
        invoice_reference=entry.reference_number,
        hash_of_corrected_invoice=body.get("hashOfCorrectedInvoice"),
    )
    entry.ksef_number, entry.invoicing_mode = invoice.ksef_number, invoice.invoicing_mode
    entry.status_code, entry.status_description = 200, INVOICE_STATUS[200]


@endpoint("POST", "/sessions/online/{referenceNumber}/invoices")
async def send_invoice(call: Call) -> Response:
    sim = call.sim
    body = await call.json()
    session = find_session(call)
    if session.status_code != 100 or session.kind != "Online":
        raise ApiError(21180, f"Status sesji {session.status_code} uniemożliwia wysyłkę faktur.")
    if len(session.invoices) >= online_limits(sim, session.context_nip)["maxInvoices"]:
        raise ApiError(
            21155, f"Sesja o numerze referencyjnym {session.reference_number} osiągnęła dozwolony limit liczby faktur."
        )
    try:
        content = crypto.b64decode_strict(body["encryptedInvoiceContent"])
    except ValueError:
        raise ApiError(21405, "encryptedInvoiceContent: wartość nie jest poprawnym Base64.") from None
    try:
        plain: bytes | None = crypto.aes_cbc_decrypt(content, session.key, session.iv)
    except ValueError:
        plain = None
    _check_sizes(body, content, plain)
    _check_correction(sim, session.context_nip, body.get("hashOfCorrectedInvoice"))
    entry = SessionInvoice(
        ordinal_number=len(session.invoices) + 1,
        reference_number=sim.reference_number("EE"),
        invoice_hash=body["invoiceHash"],
        invoicing_date=sim.now(),
        status_code=435,
        status_description=INVOICE_STATUS[435],
    )
    if plain is not None:
        try:
            judge(sim, session, plain, body, entry)
        except fa3.InvoiceRejected as rejected:
            entry.status_code, entry.status_description = rejected.code, INVOICE_STATUS[rejected.code]
            entry.status_details = rejected.details
    session.invoices.append(entry)
    session.updated = sim.now()
    sim.touch()
    return json_response({"referenceNumber": entry.reference_number}, 202)


@endpoint("POST", "/sessions/online/{referenceNumber}/close")
async def close(call: Call) -> Response:
    session = find_session(call)
    if session.status_code != 100 or session.kind != "Online":
        raise ApiError(21180, f"Status sesji {session.status_code} uniemożliwia jej zamknięcie.")
    close_session(call.sim, session)
    return empty_response(204)
