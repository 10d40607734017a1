"""The Starlette application: KSeF under `/v2`, Latarnia at the root, storage downloads, and the admin API.

Every `/v2` request goes through one dispatcher, in this order: match the path against the official OpenAPI, read
the bearer token, apply injected faults, rate limits per (context, IP) and group, the token-type and IP-policy checks,
`x-required-permissions`, and finally the handler. KSeF errors raised anywhere become their official shapes; anything
unexpected becomes a problem+json 500 and is reported by /_sim/health. Bodies over the caps of `bodylimit` get 413.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from simulator import (  # noqa: F401 - importing registers the handlers
    auth,
    authsessions,
    batch,
    certificates_api,
    crypto,
    errors,
    exports,
    faults,
    invoicequery,
    lighthouse,
    limits,
    permissions_api,
    schema,
    security,
    sessions,
    sessionstatus,
    storage,
    testdata,
    tokens,
    verification,
)
from simulator.admin import ROUTES as ADMIN_ROUTES
from simulator.api import REGISTRY, Call, json_response
from simulator.bodylimit import BodyLimit
from simulator.persistence import dumps, encode, snapshot, write_text
from simulator.runtime import Simulator

log = logging.getLogger("simulator")
API_PREFIX = "/v2"
_NIP_IN_JSON = re.compile(rb'"value"\s*:\s*"(\d{10})"')
_NIP_IN_XML = re.compile(rb"<(?:\w+:)?Nip>\s*(\d{10})\s*</")
SAVE_INTERVAL_SECONDS = 10.0


async def _context_hint(call: Call) -> str | None:
    """The context an unauthenticated auth request is about, so per-NIP faults and stats can see it."""
    if call.principal is not None:
        return call.principal.context_nip
    if call.operation.template not in ("/auth/ksef-token", "/auth/xades-signature"):
        return None
    raw = await call.raw_body()
    found = (_NIP_IN_JSON if call.operation.template == "/auth/ksef-token" else _NIP_IN_XML).search(raw[:20_000])
    return found.group(1).decode() if found else None


def _authorise(call: Call, tokens_accepted: tuple[str, ...], auth_error: errors.Unauthorized | None) -> None:
    if not tokens_accepted:
        return
    if auth_error is not None:
        raise auth_error
    principal = call.principal
    if principal is None:
        raise errors.Unauthorized()
    if principal.token_type not in tokens_accepted:
        raise errors.Unauthorized("Token tego typu nie uprawnia do tej operacji.")
    if principal.token_type == auth.ACCESS_TOKEN:  # the policy binds the access token (PROTOCOL.md §4.5)
        auth.check_ip_policy(principal, call.client_ip)
    required = call.operation.required_permissions
    if required and not set(required) & set(principal.permissions):
        raise errors.Forbidden(
            "missing-permissions",
            {"requiredAnyOfPermissions": list(required), "presentPermissions": list(principal.permissions)},
        )


async def _handle(
    call: Call, tokens_accepted: tuple[str, ...], auth_error: errors.Unauthorized | None, context: str | None
) -> Response:
    sim, request, now = call.sim, call.request, call.sim.now()
    operation = call.operation
    limited_context = None if operation.group == "anonymous" else context
    override = sim.state.contexts[context].rate_limits if context in sim.state.contexts else None
    verdict = sim.limiter.check(
        context=limited_context,
        client_ip=call.client_ip,
        group=operation.group,
        operation_key=f"{operation.method} {operation.template}",
        limits=sim.limiter.limits_for(operation.group, override),
    )
    if not verdict.allowed:
        return errors.too_many_requests(request, verdict.retry_after, verdict.detail, now)
    try:
        _authorise(call, tokens_accepted, auth_error)
        return await REGISTRY[(operation.method, operation.template)].handler(call)
    except errors.ApiError as error:
        return errors.bad_request(request, error, sim.now())
    except errors.Unauthorized as error:
        return errors.unauthorized(request, error, sim.now())
    except errors.Forbidden as error:
        return errors.forbidden(request, error, sim.now())
    except errors.Gone as error:
        return errors.gone(request, error, sim.now())


RECORDED_HEADERS = ("authorization", "content-type", "accept", "x-continuation-token", "x-error-format")


def _recorded(request: Request, body: bytes) -> dict[str, Any]:
    return {
        "method": request.method,
        "path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "headers": {k: v for k, v in request.headers.items() if k in RECORDED_HEADERS},
        "body": base64.b64encode(body).decode("ascii"),
    }


async def dispatch(request: Request) -> Response:
    sim: Simulator = request.app.state.sim
    path = request.url.path[len(API_PREFIX) :] or "/"
    matched = schema.match(request.method, path)
    if matched is None:
        status = 405 if schema.path_exists(path) else 404
        return json_response(
            {
                "title": "Not Found" if status == 404 else "Method Not Allowed",
                "status": status,
                "instance": request.url.path,
            },
            status,
        )
    operation, params = matched
    endpoint = REGISTRY.get((operation.method, operation.template))
    if endpoint is None:
        return json_response(
            {
                "title": "Not Implemented",
                "status": 501,
                "instance": request.url.path,
                "detail": "Operacja nie jest obsługiwana przez symulator.",
            },
            501,
        )
    call = Call(request=request, sim=sim, operation=operation, params=params)
    auth_error = None
    try:
        call.principal = auth.principal_from_request(sim, request)
    except errors.Unauthorized as error:
        auth_error = error
    context = await _context_hint(call)
    injected = await faults.apply(sim, request, context)
    # The body is read before the clock starts: awaiting the network would let other requests run and be counted.
    body = await call.raw_body()
    if sim.recording:
        sim.recorded.append(_recorded(request, body))
    started = time.perf_counter()
    response = injected or await _handle(call, endpoint.tokens, auth_error, context)
    own_ms = (time.perf_counter() - started) * 1000
    if injected is None:
        response.headers["Server-Timing"] = f"sim;dur={own_ms:.3f}"
    sim.stats.record(context, operation.group, response.status_code, None if injected else own_ms)
    if request.method != "GET":
        sim.touch()
    return response


async def _unexpected(request: Request, error: Exception) -> Response:
    """Any exception no handler expected: answered as problem+json 500 (never Starlette's plain text) and counted
    in /_sim/health. Starlette re-raises it afterwards, so the server log keeps the traceback."""
    if not isinstance(error, ClientDisconnect | faults.ConnectionDropped):  # the client is gone; nothing went wrong
        request.app.state.sim.record_incident(request.method, request.url.path, error)
    return errors.internal_error(request)


def _write(document: dict, path: Path) -> None:
    write_text(encode(document), path)


async def _save_periodically(sim: Simulator, path: Path) -> None:
    state = sim.state
    invoice_cache: dict[str, Any] = {}
    snapshot(state, invoice_cache)  # converts every invoice once, before the first request is served
    saved = sim.revision
    while True:
        await asyncio.sleep(SAVE_INTERVAL_SECONDS)
        if sim.revision != saved:
            saved = sim.revision
            if sim.state is not state:  # /_sim/reset replaced the whole state
                state, invoice_cache = sim.state, {}
            # The snapshot is taken on the loop, so no handler changes it halfway; encoding and writing happen in a
            # thread, on data no handler touches.
            await asyncio.to_thread(_write, snapshot(state, invoice_cache), path)


def warm_up(sim: Simulator) -> None:
    """Pay one-off costs at start, not on the first requests: schema validators and parsed private keys."""
    for method, template in REGISTRY:
        schema.body_validator(method, template)
    for key in sim.active_keys():
        crypto.load_private_key(key.private_key_pem)
    crypto.load_private_key(sim.state.ca_key_pem)


def create_app(sim: Simulator | None = None, state_file: Path | None = None) -> Starlette:
    simulator = sim or Simulator()
    warm_up(simulator)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        faults.quiet_dropped_connections()
        saver = asyncio.create_task(_save_periodically(simulator, state_file)) if state_file else None
        try:
            yield
        finally:
            if saver is not None:
                saver.cancel()
                write_text(dumps(simulator.state), state_file)  # type: ignore[arg-type]

    routes = [
        Route("/status", lighthouse.status, methods=["GET"]),
        Route("/qr/invoice/{nip}/{date}/{hash}", verification.invoice_page, methods=["GET"]),
        Route("/messages", lighthouse.messages, methods=["GET"]),
        Route("/storage/upo/{session}/invoices/{invoice}", storage.invoice_upo_file, methods=["GET"]),
        Route("/storage/upo/{session}/{upo}", storage.upo_page, methods=["GET"]),
        Route("/storage/exports/{export}/{ordinal:int}", storage.export_part, methods=["GET"]),
        Route("/storage/batch/{session}/{ordinal:int}", batch.upload_part, methods=["PUT"]),
        *ADMIN_ROUTES,
        Route(API_PREFIX + "/{path:path}", dispatch, methods=["GET", "POST", "PUT", "DELETE"]),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(BodyLimit)],
        exception_handlers={Exception: _unexpected},
    )
    app.state.sim = simulator
    return app
