"""Pre-signed-style downloads (UPO pages, invoice UPOs, export parts): plain GET, no token, not rate-limited.

The URL carries `se` (expiry, Unix seconds) and `sig` (HMAC over path and expiry); a wrong or stale signature is 403,
as a storage service would answer. Faults still apply, so clients can rehearse broken downloads.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

from simulator import faults
from simulator.api import json_response
from simulator.crypto import storage_signature
from simulator.errors import ApiError
from simulator.runtime import Simulator
from simulator.sessionstatus import invoice_upo, session_upo


def signed(sim: Simulator, request: Request) -> bool:
    try:
        expires = int(request.query_params.get("se", ""))
    except ValueError:
        return False
    expected = storage_signature(sim.state.secret, request.url.path, expires)
    return hmac.compare_digest(expected, request.query_params.get("sig", "")) and expires >= sim.now().timestamp()


def _not_found() -> Response:
    return json_response({"error": "BlobNotFound"}, 404)


async def _serve(request: Request, context_nip: str | None, produce: Callable[[], Response]) -> Response:
    sim: Simulator = request.app.state.sim
    if not signed(sim, request):
        return json_response(
            {"error": "AuthenticationFailed", "detail": "Podpis adresu jest nieprawidłowy lub wygasł."}, 403
        )
    response = await faults.apply(sim, request, context_nip)
    started = time.perf_counter()
    if response is None:
        try:
            response = produce()
        except ApiError:
            response = _not_found()
    own = (time.perf_counter() - started) * 1000
    response.headers["Server-Timing"] = f"sim;dur={own:.3f}"
    sim.stats.record(context_nip, "storage", response.status_code, own)
    return response


async def upo_page(request: Request) -> Response:
    sim: Simulator = request.app.state.sim
    session = sim.state.sessions.get(request.path_params["session"])
    if session is None:
        return _not_found()
    return await _serve(request, session.context_nip, lambda: session_upo(sim, session, request.path_params["upo"]))


async def invoice_upo_file(request: Request) -> Response:
    sim: Simulator = request.app.state.sim
    session = sim.state.sessions.get(request.path_params["session"])
    if session is None:
        return _not_found()
    entry = next((e for e in session.invoices if e.reference_number == request.path_params["invoice"]), None)
    return await _serve(request, session.context_nip, lambda: invoice_upo(sim, session, entry))


async def export_part(request: Request) -> Response:
    sim: Simulator = request.app.state.sim
    export = sim.exports.get(request.path_params["export"])
    ordinal = int(request.path_params["ordinal"])
    if export is None or not 1 <= ordinal <= len(export.parts):
        return _not_found()
    info = export.part_info[ordinal - 1]
    return await _serve(
        request,
        export.context_nip,
        lambda: Response(
            export.parts[ordinal - 1],
            media_type="application/octet-stream",
            headers={"x-ms-meta-hash": info["encryptedPartHash"]},
        ),
    )
