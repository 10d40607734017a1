"""The simulator-only admin API under `/_sim/*` (JSON). Not part of KSeF; the console's tests and demo rely on it.

Every input is checked field by field before anything changes (`admininput.Fields`): types, ranges, allowed values,
unknown fields refused. Errors are problem+json with 400 (bad input), 404 (unknown NIP or serial) or 413 (too large),
and carry the same sentence in `error` as well as `detail`.
"""

from __future__ import annotations

import random
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator import certificates, faults, invoicegen, invoices, schema, seed, tokens
from simulator.admininput import AdminError, Fields, parse_object
from simulator.api import json_response
from simulator.demo import prepare_demo
from simulator.errors import problem
from simulator.invoices import current_hwm
from simulator.runtime import Simulator
from simulator.state import Settings
from simulator.timeutil import MAX_CLOCK_OFFSET_SECONDS, iso, iso_or_none

DAY = 86_400
# camelCase admin name -> (Settings field, lowest, highest); ints for the int fields of Settings. The ranges keep every
# date the simulator computes from them far inside what a datetime can hold.
SETTINGS: dict[str, tuple[str, float, float]] = {
    "accessTokenSeconds": ("access_token_seconds", 1, DAY),
    "refreshTokenSeconds": ("refresh_token_seconds", 1, 7 * DAY),  # KSeF: a refresh token lives up to 7 days
    "authPendingSeconds": ("auth_pending_seconds", 0, 600),  # a challenge lives 10 minutes
    "permanentStorageLagSeconds": ("permanent_storage_lag_seconds", 0, DAY),
    "hwmLagSeconds": ("hwm_lag_seconds", 0, 30 * DAY),
    "exportPendingSeconds": ("export_pending_seconds", 0, 3600),
    "exportPartSizeBytes": ("export_part_size_bytes", 1024, 50_000_000),  # KSeF: export parts are at most 50 MB
    "timeoutSeconds": ("timeout_seconds", 0, 600),
}
INT_SETTINGS = {name for name, value in asdict(Settings()).items() if isinstance(value, int)}
NAME_LENGTH = 256
COMMON_NAME_LENGTH = 64  # X.509 upper bound for a commonName
MAX_SPREAD_DAYS = 3650
CERTIFICATE_YEARS = 10  # validFrom/validTo within this many years of the simulated now


def _sim(request: Request) -> Simulator:
    return request.app.state.sim


async def _fields(request: Request) -> Fields:
    return Fields(parse_object(await request.body()))


async def _no_input(request: Request) -> None:
    (await _fields(request)).done()


def _known_nip(sim: Simulator, nip: str) -> str:
    if nip not in sim.state.contexts:
        raise AdminError(f"Kontekst {nip} nie istnieje.", 404)
    return nip


def admin_problem(request: Request, status: int, message: str) -> Response:
    """problem+json, with the sentence also under `error` (the shape admin errors had before)."""
    return problem(request, status, message, extra={"error": message})


def handler(function: Any) -> Any:
    """Wrap an admin coroutine so an AdminError becomes a problem+json answer."""

    async def endpoint(request: Request) -> Response:
        try:
            return await function(request)
        except AdminError as error:
            return admin_problem(request, error.status, str(error))

    return endpoint


async def health(request: Request) -> Response:
    """`ok`, or `broken` with 503 and the reasons: a clock that cannot tell the time, or unexpected errors answered
    since the start or the last reset (each was a 500 to some client)."""
    report = _sim(request).health()
    return json_response(report, 200 if report["status"] == "ok" else 503)


async def reset(request: Request) -> Response:
    await _no_input(request)
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
                "sessionType": s.kind,
                "acceptedInvoiceNumbers": [e.invoice_number for e in s.invoices if e.status_code == 200],
                "duplicates": sum(1 for e in s.invoices if e.status_code == 440),
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
    await _no_input(request)
    _sim(request).stats.reset()
    return json_response({"status": "reset"})


async def reset_rate_limits(request: Request) -> Response:
    """Forget every rate-limit window (benchmarks start each phase with clean windows, like a quiet hour)."""
    await _no_input(request)
    _sim(request).limiter.reset()
    return json_response({"status": "reset"})


async def record_requests(request: Request) -> Response:
    """POST starts recording every /v2 request (method, path, query, the headers a client chose, body) and forgets
    earlier ones; DELETE stops; GET returns them. Benchmarks replay them with a bare client to measure the floor."""
    sim = _sim(request)
    if request.method == "GET":
        return json_response({"requests": sim.recorded})
    await _no_input(request)
    if request.method == "POST":
        sim.recorded = []
    sim.recording = request.method == "POST"
    return json_response({"recording": sim.recording})


async def seed_office(request: Request) -> Response:
    sim = _sim(request)
    seeding = seed.prepare(sim, parse_object(await request.body()))
    return json_response(await seeding.finish_off_loop(sim))


async def seed_demo_office(request: Request) -> Response:
    await _no_input(request)
    sim = _sim(request)
    return json_response(await prepare_demo(sim).finish_off_loop(sim))


async def create_context(request: Request) -> Response:
    fields = await _fields(request)
    nip = fields.nip("nip")
    name = fields.text("name", NAME_LENGTH, "")
    fields.done()
    context = _sim(request).context(nip, name or None)
    return json_response({"nip": context.nip, "name": context.name})


def _token_permissions() -> tuple[str, ...]:
    return tuple(schema.spec()["components"]["schemas"]["TokenPermissionType"]["enum"])


async def create_token(request: Request) -> Response:
    sim = _sim(request)
    nip = _known_nip(sim, request.path_params["nip"])
    fields = await _fields(request)
    allowed = _token_permissions()
    permissions = fields.items("permissions", len(allowed))
    if not permissions or any(p not in allowed for p in permissions) or len(set(permissions)) != len(permissions):
        raise AdminError(f"Pole permissions musi być niepustą listą różnych uprawnień spośród: {', '.join(allowed)}.")
    description = fields.text("description", NAME_LENGTH, "Token utworzony przez symulator", min_length=5)
    fields.done()
    token = tokens.create_token(
        sim, context_nip=nip, permissions=permissions, description=description, author=("Nip", nip)
    )
    return json_response({"token": token.secret, "referenceNumber": token.reference_number})


async def revoke_all_tokens(request: Request) -> Response:
    sim = _sim(request)
    nip = _known_nip(sim, request.path_params["nip"])
    await _no_input(request)
    revoked = 0
    for token in sim.state.tokens.values():
        if token.context_value == nip and token.status != "Revoked":
            token.status, revoked = "Revoked", revoked + 1
    sim.touch()
    return json_response({"revoked": revoked})


async def create_certificate(request: Request) -> Response:
    sim = _sim(request)
    fields = await _fields(request)
    nip, pesel = fields.nip_or_none("subjectNip"), fields.pesel("subjectPesel")
    if (nip is None) == (pesel is None):
        raise AdminError("Podaj dokładnie jedno z pól subjectNip albo subjectPesel.")
    subject = ("Pesel", pesel) if pesel else ("Nip", nip)
    default_name = f"{'Osoba' if pesel else 'Podmiot'} {subject[1]}"
    common_name = fields.text("commonName", COMMON_NAME_LENGTH, default_name)
    kind = fields.choice("certificateType", ("Authentication", "Offline"), "Authentication")
    now = sim.now()
    low, high = now - timedelta(days=365 * CERTIFICATE_YEARS), now + timedelta(days=365 * CERTIFICATE_YEARS)
    valid_from = fields.datetime("validFrom", low, high) or now - timedelta(minutes=5)
    valid_to = fields.datetime("validTo", low, high) or valid_from + certificates.VALIDITY
    fields.done()
    if valid_to <= valid_from:
        raise AdminError("Pole validTo musi być późniejsze niż validFrom.")
    record, _key = certificates.issue_with_new_key(
        sim,
        subject_type=subject[0],
        subject_value=str(subject[1]),
        common_name=common_name,
        certificate_type=kind,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    return json_response(certificates.admin_view(record))


async def revoke_certificate(request: Request) -> Response:
    sim = _sim(request)
    await _no_input(request)
    record = sim.state.certificates.get(request.path_params["serial"])
    if record is None:
        raise AdminError("Certyfikat o tym numerze seryjnym nie istnieje.", 404)
    record.status = "Revoked"
    sim.touch()
    return json_response({"serialNumber": record.serial, "status": record.status})


async def generate_invoices(request: Request) -> Response:
    """Up to `invoices.MAX_GENERATED` invoices; drafting runs in a worker thread, so the server keeps answering."""
    sim = _sim(request)
    nip = _known_nip(sim, request.path_params["nip"])
    fields = await _fields(request)
    count = fields.integer("count", 0, invoices.MAX_GENERATED)
    subject_type = fields.choice("subjectType", ("Subject1", "Subject2", "both"), "both")
    counterparty = fields.nip_or_none("counterpartyNip")
    spread_days = fields.number("spreadDays", 0, MAX_SPREAD_DAYS, 30)
    fields.done()
    rnd = random.Random()
    company = invoicegen.random_company(rnd, nip, sim.state.contexts[nip].name)
    generation = invoices.GenerationRequest(company, count, subject_type, spread_days, counterparty)
    created = await invoices.generate_off_loop(sim, generation, rnd)
    return json_response({"ksefNumbers": [invoice.ksef_number for invoice in created]})


async def list_invoices(request: Request) -> Response:
    """What a client can currently see (permanently stored), for comparing a local copy with the simulator."""
    sim = _sim(request)
    nip = _known_nip(sim, request.path_params["nip"])
    wanted = request.query_params.get("subjectType")
    kinds = [wanted] if wanted else list(invoices.SUBJECT_TYPES)
    if any(kind not in invoices.SUBJECT_TYPES for kind in kinds):
        raise AdminError(f"Parametr subjectType musi mieć jedną z wartości: {', '.join(invoices.SUBJECT_TYPES)}.")
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
    fields = await _fields(request)
    _, low, high = SETTINGS["hwmLagSeconds"]
    lag = fields.number("lagSeconds", low, high)
    fields.done()
    sim.state.contexts[nip].hwm_lag_seconds = lag
    sim.touch()
    return json_response({"nip": nip, "lagSeconds": lag, "hwm": iso(current_hwm(sim, nip))})


def _settings_view(settings: Settings) -> dict[str, Any]:
    return {camel: getattr(settings, snake) for camel, (snake, _low, _high) in SETTINGS.items()}


async def settings(request: Request) -> Response:
    sim = _sim(request)
    if request.method == "POST":
        fields = await _fields(request)
        changes: dict[str, float] = {}
        for camel, (snake, low, high) in SETTINGS.items():
            if camel in fields.body:
                read = fields.integer if snake in INT_SETTINGS else fields.number
                changes[snake] = read(camel, int(low), int(high))
        fields.done()
        for snake, value in changes.items():  # all or nothing
            setattr(sim.state.settings, snake, value)
        sim.touch()
    return json_response(_settings_view(sim.state.settings))


async def set_faults(request: Request) -> Response:
    sim = _sim(request)
    if request.method == "DELETE":
        await _no_input(request)
        wanted = request.query_params.get("scope")
        if wanted is None:
            removed = list(sim.state.faults)
            sim.state.faults.clear()
        else:
            scope = faults.parse_scope(wanted)
            removed = [scope] if sim.state.faults.pop(scope, None) else []
        sim.touch()
        return json_response({"removed": removed})
    fault = faults.configure(sim, await _fields(request))
    return json_response({"scope": fault.scope, "active": True})


async def set_clock(request: Request) -> Response:
    sim = _sim(request)
    fields = await _fields(request)
    offset = fields.number("offsetSeconds", -MAX_CLOCK_OFFSET_SECONDS, MAX_CLOCK_OFFSET_SECONDS)
    fields.done()
    sim.set_clock_offset(offset)
    return json_response({"offsetSeconds": offset, "now": iso(sim.now())})


async def rotate_keys(request: Request) -> Response:
    await _no_input(request)
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
    Route("/_sim/rate-limits/reset", handler(reset_rate_limits), methods=["POST"]),
    Route("/_sim/requests", handler(record_requests), methods=["GET", "POST", "DELETE"]),
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
