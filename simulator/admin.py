"""The simulator-only admin API under `/_sim/*` (JSON). Not part of KSeF; the console's tests and demo rely on it.

Errors here are plain `{"error": "..."}` with 400 (bad input) or 404 (unknown NIP or serial).
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, fields
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator import certificates, faults, invoicegen, invoices, seed, tokens
from simulator.api import json_response
from simulator.demo import seed_demo
from simulator.ids import NipError, PeselError, validate_nip, validate_pesel
from simulator.invoices import current_hwm
from simulator.runtime import Simulator
from simulator.state import Settings
from simulator.timeutil import iso, iso_or_none, parse_datetime

# camelCase admin names of Settings fields
SETTING_NAMES = {
    "accessTokenSeconds": "access_token_seconds",
    "refreshTokenSeconds": "refresh_token_seconds",
    "authPendingSeconds": "auth_pending_seconds",
    "permanentStorageLagSeconds": "permanent_storage_lag_seconds",
    "hwmLagSeconds": "hwm_lag_seconds",
    "exportPendingSeconds": "export_pending_seconds",
    "exportPartSizeBytes": "export_part_size_bytes",
    "timeoutSeconds": "timeout_seconds",
}


class AdminError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _sim(request: Request) -> Simulator:
    return request.app.state.sim


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise AdminError("treść nie jest poprawnym JSON") from None
    if not isinstance(body, dict):
        raise AdminError("oczekiwano obiektu JSON")
    return body


def _number(body: dict[str, Any], name: str, default: float | None = None, minimum: float = 0) -> float:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise AdminError(f"{name}: wymagana liczba >= {minimum}")
    return float(value)


def _known_nip(sim: Simulator, nip: str) -> str:
    if nip not in sim.state.contexts:
        raise AdminError(f"kontekst {nip} nie istnieje", 404)
    return nip


def handler(function: Any) -> Any:
    """Wrap an admin coroutine so AdminError and seed errors become JSON answers."""

    async def endpoint(request: Request) -> Response:
        try:
            return await function(request)
        except (AdminError, seed.SeedError) as error:
            return json_response({"error": str(error)}, getattr(error, "status", 400))

    return endpoint


async def health(request: Request) -> Response:
    return json_response({"status": "ok"})


async def reset(request: Request) -> Response:
    _sim(request).reset()
    return json_response({"status": "reset"})


def _masked_state(sim: Simulator) -> dict[str, Any]:
    """A debugging dump; secrets (token values, private keys) and invoice bodies are left out."""
    state = sim.state
    now = sim.now()
    return {
        "now": iso(now),
        "clockOffsetSeconds": state.clock_offset_seconds,
        "settings": asdict(state.settings),
        "publicKeys": [
            {"publicKeyId": k.public_key_id, "usage": k.usage, "retired": k.retired} for k in state.public_keys
        ],
        "contexts": {
            nip: {
                "name": c.name,
                "blocked": c.blocked,
                "subjectType": c.subject_type,
                "hwm": iso(current_hwm(sim, nip)),
                "hwmLagSeconds": c.hwm_lag_seconds,
                "rateLimits": c.rate_limits,
                "invoices": {kind: len(sim.invoice_index.for_subject(kind, nip)) for kind in invoices.SUBJECT_TYPES},
            }
            for nip, c in state.contexts.items()
        },
        "grants": [{k: v for k, v in asdict(g).items() if k != "start_date"} for g in state.grants.values()],
        "tokens": [
            {
                "referenceNumber": t.reference_number,
                "context": t.context_value,
                "status": t.status,
                "permissions": t.permissions,
                "author": f"{t.author_type}:{t.author_value}",
            }
            for t in state.tokens.values()
        ],
        "certificates": [
            {
                "serialNumber": c.serial,
                "type": c.type,
                "subject": f"{c.subject_type}:{c.subject_value}",
                "status": certificates.status_of(c, now),
                "validTo": iso(c.valid_to),
            }
            for c in state.certificates.values()
        ],
        "authOperations": len(state.auth_operations),
        "sessions": [
            {
                "referenceNumber": s.reference_number,
                "context": s.context_nip,
                "status": s.status_code,
                "invoices": len(s.invoices),
            }
            for s in state.sessions.values()
        ],
        "exports": len(sim.exports),
        "faults": {
            scope: {k: (iso_or_none(v) if k.endswith("_until") else v) for k, v in asdict(f).items()}
            for scope, f in state.faults.items()
        },
        "offices": {nip: {"name": o.name, "clients": len(o.clients)} for nip, o in state.offices.items()},
    }


async def dump_state(request: Request) -> Response:
    return json_response(_masked_state(_sim(request)))


async def stats(request: Request) -> Response:
    return json_response(_sim(request).stats.as_dict())


async def reset_stats(request: Request) -> Response:
    _sim(request).stats.reset()
    return json_response({"status": "reset"})


async def seed_office(request: Request) -> Response:
    return json_response(seed.seed_office(_sim(request), await _body(request)))


async def seed_demo_office(request: Request) -> Response:
    return json_response(seed_demo(_sim(request)))


async def create_context(request: Request) -> Response:
    body = await _body(request)
    try:
        nip = validate_nip(str(body.get("nip", "")))
    except NipError as error:
        raise AdminError(f"nip: {error}") from None
    context = _sim(request).context(nip, body.get("name"))
    return json_response({"nip": context.nip, "name": context.name})


async def create_token(request: Request) -> Response:
    sim = _sim(request)
    nip = _known_nip(sim, request.path_params["nip"])
    body = await _body(request)
    permissions = body.get("permissions")
    if not isinstance(permissions, list) or not permissions or not all(isinstance(p, str) for p in permissions):
        raise AdminError("permissions: wymagana niepusta lista nazw uprawnień")
    token = tokens.create_token(
        sim,
        context_nip=nip,
        permissions=permissions,
        description=str(body.get("description") or "Token utworzony przez symulator"),
        author=("Nip", nip),
    )
    return json_response({"token": token.secret, "referenceNumber": token.reference_number})


async def revoke_all_tokens(request: Request) -> Response:
    sim = _sim(request)
    nip = _known_nip(sim, request.path_params["nip"])
    revoked = 0
    for token in sim.state.tokens.values():
        if token.context_value == nip and token.status != "Revoked":
            token.status, revoked = "Revoked", revoked + 1
    sim.touch()
    return json_response({"revoked": revoked})


async def create_certificate(request: Request) -> Response:
    sim = _sim(request)
    body = await _body(request)
    try:
        if body.get("subjectPesel"):
            subject = ("Pesel", validate_pesel(str(body["subjectPesel"])))
        else:
            subject = ("Nip", validate_nip(str(body.get("subjectNip", ""))))
    except (NipError, PeselError) as error:
        raise AdminError(f"subjectNip/subjectPesel: {error}") from None
    kind = body.get("certificateType", "Authentication")
    if kind not in ("Authentication", "Offline"):
        raise AdminError("certificateType: Authentication albo Offline")
    now = sim.now()
    try:
        valid_from = parse_datetime(body["validFrom"]) if body.get("validFrom") else now - timedelta(minutes=5)
        valid_to = parse_datetime(body["validTo"]) if body.get("validTo") else valid_from + certificates.VALIDITY
    except ValueError as error:
        raise AdminError(f"validFrom/validTo: {error}") from None
    if valid_to <= valid_from:
        raise AdminError("validTo musi być późniejsze niż validFrom")
    record, _key = certificates.issue_with_new_key(
        sim,
        subject_type=subject[0],
        subject_value=subject[1],
        common_name=str(body.get("commonName") or f"{'Osoba' if subject[0] == 'Pesel' else 'Podmiot'} {subject[1]}"),
        certificate_type=kind,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    return json_response(certificates.admin_view(record))


async def revoke_certificate(request: Request) -> Response:
    sim = _sim(request)
    record = sim.state.certificates.get(request.path_params["serial"])
    if record is None:
        raise AdminError("certyfikat nie istnieje", 404)
    record.status = "Revoked"
    sim.touch()
    return json_response({"serialNumber": record.serial, "status": record.status})


async def generate_invoices(request: Request) -> Response:
    sim = _sim(request)
    nip = _known_nip(sim, request.path_params["nip"])
    body = await _body(request)
    count = int(_number(body, "count", minimum=0))
    subject_type = body.get("subjectType", "both")
    if subject_type not in ("Subject1", "Subject2", "both"):
        raise AdminError("subjectType: Subject1, Subject2 albo both")
    counterparty = body.get("counterpartyNip")
    if counterparty is not None:
        try:
            counterparty = validate_nip(str(counterparty))
        except NipError as error:
            raise AdminError(f"counterpartyNip: {error}") from None
    rnd = random.Random()
    company = invoicegen.random_company(rnd, nip, sim.state.contexts[nip].name)
    created = invoices.generate(
        sim,
        invoices.GenerationRequest(company, count, subject_type, _number(body, "spreadDays", 30.0), counterparty),
        rnd,
    )
    return json_response({"ksefNumbers": [invoice.ksef_number for invoice in created]})


async def list_invoices(request: Request) -> Response:
    """What a client can currently see (permanently stored), for comparing a local copy with the simulator."""
    sim = _sim(request)
    nip = _known_nip(sim, request.path_params["nip"])
    wanted = request.query_params.get("subjectType")
    kinds = [wanted] if wanted else list(invoices.SUBJECT_TYPES)
    if any(kind not in invoices.SUBJECT_TYPES for kind in kinds):
        raise AdminError(f"subjectType: jedna z {list(invoices.SUBJECT_TYPES)}")
    now = sim.now()
    numbers = {
        i.ksef_number
        for kind in kinds
        for i in sim.invoice_index.for_subject(kind, nip)
        if i.permanent_storage_date <= now
    }
    return json_response({"ksefNumbers": sorted(numbers)})


async def set_hwm(request: Request) -> Response:
    sim = _sim(request)
    nip = _known_nip(sim, request.path_params["nip"])
    lag = _number(await _body(request), "lagSeconds")
    sim.state.contexts[nip].hwm_lag_seconds = lag
    sim.touch()
    return json_response({"nip": nip, "lagSeconds": lag, "hwm": iso(current_hwm(sim, nip))})


def _settings_view(settings: Settings) -> dict[str, Any]:
    return {camel: getattr(settings, snake) for camel, snake in SETTING_NAMES.items()}


async def settings(request: Request) -> Response:
    sim = _sim(request)
    if request.method == "POST":
        body = await _body(request)
        unknown = set(body) - set(SETTING_NAMES)
        if unknown:
            raise AdminError(f"nieznane ustawienia: {sorted(unknown)}")
        types = {field.name: field.type for field in fields(Settings)}
        for camel in body:
            snake = SETTING_NAMES[camel]
            number = _number(body, camel)
            setattr(sim.state.settings, snake, int(number) if types[snake] == "int" else number)
        sim.touch()
    return json_response(_settings_view(sim.state.settings))


async def set_faults(request: Request) -> Response:
    sim = _sim(request)
    if request.method == "DELETE":
        scope = request.query_params.get("scope")
        removed = [scope] if scope and sim.state.faults.pop(scope, None) else []
        if not scope:
            removed = list(sim.state.faults)
            sim.state.faults.clear()
        sim.touch()
        return json_response({"removed": removed})
    body = await _body(request)
    scope = str(body.get("scope") or "global")
    if scope != "global":
        try:
            validate_nip(scope)
        except NipError as error:
            raise AdminError(f"scope: 'global' albo NIP ({error})") from None
    for name in ("latencyMs", "rateLimitStormSeconds", "unavailableSeconds"):
        _number(body, name, 0)
    for name in ("errorRate", "timeoutRate", "dropRate"):
        if not 0 <= _number(body, name, 0) <= 1:
            raise AdminError(f"{name}: wartość 0..1")
    if body.get("unavailableKind", "FAILURE") not in ("FAILURE", "MAINTENANCE"):
        raise AdminError("unavailableKind: FAILURE albo MAINTENANCE")
    fault = faults.configure(sim, body)
    return json_response({"scope": fault.scope, "active": True})


async def set_clock(request: Request) -> Response:
    sim = _sim(request)
    offset = _number(await _body(request), "offsetSeconds", minimum=-10 * 365 * 86400)
    sim.set_clock_offset(offset)
    return json_response({"offsetSeconds": offset, "now": iso(sim.now())})


async def rotate_keys(request: Request) -> Response:
    sim = _sim(request)
    retired = sim.rotate_keys()
    return json_response(
        {"retiredPublicKeyIds": retired, "publicKeyIds": [key.public_key_id for key in sim.active_keys()]}
    )


ROUTES = [
    Route("/_sim/health", handler(health), methods=["GET"]),
    Route("/_sim/reset", handler(reset), methods=["POST"]),
    Route("/_sim/state", handler(dump_state), methods=["GET"]),
    Route("/_sim/stats", handler(stats), methods=["GET"]),
    Route("/_sim/stats/reset", handler(reset_stats), methods=["POST"]),
    Route("/_sim/seed", handler(seed_office), methods=["POST"]),
    Route("/_sim/seed/demo", handler(seed_demo_office), methods=["POST"]),
    Route("/_sim/contexts", handler(create_context), methods=["POST"]),
    Route("/_sim/contexts/{nip}/tokens", handler(create_token), methods=["POST"]),
    Route("/_sim/contexts/{nip}/tokens/revoke-all", handler(revoke_all_tokens), methods=["POST"]),
    Route("/_sim/contexts/{nip}/invoices", handler(generate_invoices), methods=["POST"]),
    Route("/_sim/contexts/{nip}/invoices", handler(list_invoices), methods=["GET"]),
    Route("/_sim/contexts/{nip}/hwm", handler(set_hwm), methods=["POST"]),
    Route("/_sim/certificates", handler(create_certificate), methods=["POST"]),
    Route("/_sim/certificates/{serial}/revoke", handler(revoke_certificate), methods=["POST"]),
    Route("/_sim/settings", handler(settings), methods=["GET", "POST"]),
    Route("/_sim/faults", handler(set_faults), methods=["POST", "DELETE"]),
    Route("/_sim/clock", handler(set_clock), methods=["POST"]),
    Route("/_sim/keys/rotate", handler(rotate_keys), methods=["POST"]),
]
