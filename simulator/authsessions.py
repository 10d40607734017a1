"""Auth sessions (PROTOCOL.md §4.7): listing the context's active authentications and revoking them.

Revoking kills the refresh token; access tokens already issued live until their `exp`, as KSeF documents.
"""

from __future__ import annotations

from starlette.responses import Response

from simulator.api import Call, continuation_page, empty_response, endpoint, json_response
from simulator.auth import ACCESS_TOKEN, REFRESH_TOKEN, status_payload
from simulator.errors import ApiError
from simulator.runtime import Simulator
from simulator.state import AuthOperation


def _active_sessions(sim: Simulator, context_value: str) -> list[AuthOperation]:
    now = sim.now()
    active = [
        operation
        for operation in sim.state.auth_operations.values()
        if operation.context_value == context_value
        and operation.redeemed
        and not operation.revoked
        and operation.refresh_valid_until is not None
        and operation.refresh_valid_until > now
    ]
    return sorted(active, key=lambda operation: operation.start_date, reverse=True)


@endpoint("GET", "/auth/sessions")
async def list_sessions(call: Call) -> Response:
    principal = call.require_principal()
    page, token = continuation_page(call, _active_sessions(call.sim, principal.context_nip), 100)
    current = principal.operation.reference_number
    return json_response(
        {"continuationToken": token, "items": [status_payload(call.sim, operation, current) for operation in page]}
    )


def _revoke(sim: Simulator, operation: AuthOperation) -> None:
    operation.revoked = True
    operation.refresh_valid_until = None  # the refresh token dies; issued access tokens live until exp
    sim.touch()


@endpoint("DELETE", "/auth/sessions/current", tokens=(ACCESS_TOKEN, REFRESH_TOKEN))
async def revoke_current(call: Call) -> Response:
    _revoke(call.sim, call.require_principal().operation)
    return empty_response(204)


@endpoint("DELETE", "/auth/sessions/{referenceNumber}")
async def revoke_session(call: Call) -> Response:
    principal = call.require_principal()
    reference = call.path_reference()
    operation = call.sim.state.auth_operations.get(reference)
    if operation is None or operation.context_value != principal.context_nip:
        raise ApiError(21405, f"Sesja uwierzytelnienia {reference} nie istnieje w bieżącym kontekście.")
    _revoke(call.sim, operation)
    return empty_response(204)
