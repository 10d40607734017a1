"""Injected faults (DESIGN.md §6): latency, 5xx, timeouts, dropped connections, 429 storms, unavailability.

A fault has a scope: `global` or one context NIP (matched against the caller's context). Latency is added with
`asyncio.sleep`; a "timeout" holds the request for `timeoutSeconds` before answering 504; a dropped connection sends
the response head and part of a body, then closes the socket, which clients see as a broken connection.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from simulator.admininput import AdminError, Fields
from simulator.errors import SERVER_ERROR_STATUSES, server_error, too_many_requests
from simulator.identifiers import IdentifierError, validate_nip
from simulator.runtime import Simulator
from simulator.state import Fault

_random = random.Random()


class ConnectionDropped(Exception):
    """Raised after a partial response so the server closes the connection mid-body."""


class DroppedResponse(Response):
    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"partial":', "more_body": True})
        raise ConnectionDropped


class _HideDropped(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


def quiet_dropped_connections() -> None:
    logging.getLogger("uvicorn.error").addFilter(_HideDropped())


MAX_LATENCY_MS = 120_000  # two minutes: longer than any client timeout worth testing
MAX_FAULT_SECONDS = 86_400  # storms and unavailability last at most a day
KINDS = ("FAILURE", "MAINTENANCE")


def parse_scope(value: object) -> str:
    """`global` or a context NIP."""
    if value is None or value == "global":
        return "global"
    try:
        return validate_nip(value)
    except IdentifierError as error:
        raise AdminError(f"Pole scope musi być słowem global albo numerem NIP: {error}") from None


def configure(sim: Simulator, fields: Fields) -> Fault:
    """POST /_sim/faults: replace the fault of one scope; every field is checked before anything changes."""
    now = sim.now()
    scope = parse_scope(fields.raw("scope"))

    def until(name: str) -> datetime | None:
        seconds = fields.number(name, 0, MAX_FAULT_SECONDS, 0)
        return now + timedelta(seconds=seconds) if seconds > 0 else None

    fault = Fault(
        scope=scope,
        latency_ms=fields.number("latencyMs", 0, MAX_LATENCY_MS, 0),
        error_rate=fields.number("errorRate", 0, 1, 0),
        error_status=fields.choice("errorStatus", SERVER_ERROR_STATUSES, 503),
        timeout_rate=fields.number("timeoutRate", 0, 1, 0),
        drop_rate=fields.number("dropRate", 0, 1, 0),
        rate_limit_storm_until=until("rateLimitStormSeconds"),
        unavailable_until=until("unavailableSeconds"),
        unavailable_kind=fields.choice("unavailableKind", KINDS, "FAILURE"),
    )
    fields.done()
    sim.state.faults[scope] = fault
    sim.touch()
    return fault


def _active(sim: Simulator, context_nip: str | None) -> list[Fault]:
    faults = sim.state.faults
    found = [faults["global"]] if "global" in faults else []
    if context_nip and context_nip in faults:
        found.append(faults[context_nip])
    return found


def _remaining(until: datetime | None, now: datetime) -> int:
    return math.ceil((until - now).total_seconds()) if until is not None and until > now else 0


async def apply(sim: Simulator, request: Request, context_nip: str | None) -> Response | None:
    """Sleep the injected latency and return a fault response, or None to let the request through."""
    faults = _active(sim, context_nip)
    if not faults:
        return None
    latency = sum(fault.latency_ms for fault in faults)
    if latency > 0:
        await asyncio.sleep(latency / 1000)
    now = sim.now()
    for fault in faults:
        if wait := _remaining(fault.unavailable_until, now):
            return server_error(request, 503, now, retry_after=wait)
        if wait := _remaining(fault.rate_limit_storm_until, now):
            return too_many_requests(
                request, wait, f"Przekroczono limit żądań. Spróbuj ponownie po {wait} sekundach.", now
            )
    for fault in faults:
        if fault.drop_rate and _random.random() < fault.drop_rate:
            return DroppedResponse()
        if fault.timeout_rate and _random.random() < fault.timeout_rate:
            await asyncio.sleep(sim.state.settings.timeout_seconds)
            return server_error(request, 504, sim.now())
        if fault.error_rate and _random.random() < fault.error_rate:
            return server_error(request, fault.error_status, now)
    return None
