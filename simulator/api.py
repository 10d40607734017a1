"""Handler registry and the per-request `Call` object handlers receive.

`@endpoint(method, template)` refuses any path the official OpenAPI does not define, so the simulator cannot grow
invented endpoints. The dispatcher in `app.py` matches a request against the spec, authenticates it, applies rate
limits and `x-required-permissions`, and then calls the handler with a `Call`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from simulator import schema
from simulator.errors import ApiError, validation_error

if TYPE_CHECKING:
    from simulator.auth import Principal
    from simulator.runtime import Simulator

Handler = Callable[["Call"], Awaitable[Response]]


@dataclass(frozen=True)
class Endpoint:
    handler: Handler
    tokens: tuple[str, ...]  # accepted bearer token types; empty for unauthenticated endpoints


REGISTRY: dict[tuple[str, str], Endpoint] = {}
ACCESS = ("ContextToken",)


def endpoint(method: str, template: str, *, tokens: tuple[str, ...] | None = None) -> Callable[[Handler], Handler]:
    operation = schema.operations().get((method, template))
    if operation is None:
        raise RuntimeError(f"{method} {template} is not in the official KSeF OpenAPI")

    def register(handler: Handler) -> Handler:
        accepted = tokens if tokens is not None else (ACCESS if operation.secured else ())
        REGISTRY[(method, template)] = Endpoint(handler, accepted)
        return handler

    return register


@dataclass
class Call:
    request: Request
    sim: Simulator
    operation: schema.Operation
    params: dict[str, str]
    principal: Principal | None = None
    _body: Any = field(default=None, repr=False)
    _raw: bytes | None = field(default=None, repr=False)

    @property
    def now(self) -> datetime:
        return self.sim.now()

    @property
    def client_ip(self) -> str:
        return self.request.client.host if self.request.client else "127.0.0.1"

    @property
    def base_url(self) -> str:
        return str(self.request.base_url).rstrip("/")

    def require_principal(self) -> Principal:
        if self.principal is None:  # the dispatcher guarantees one for secured endpoints
            raise RuntimeError("no principal")
        return self.principal

    async def raw_body(self) -> bytes:
        if self._raw is None:
            self._raw = await self.request.body()
        return self._raw

    async def json(self) -> dict[str, Any]:
        """The request body, parsed and validated against the operation's official request schema (21405)."""
        if self._body is not None:
            return self._body
        raw = await self.raw_body()
        try:
            body = json.loads(raw.decode("utf-8")) if raw.strip() else None
        except (UnicodeDecodeError, ValueError):
            raise validation_error("Treść żądania nie jest poprawnym dokumentem JSON.") from None
        validator = schema.body_validator(self.operation.method, self.operation.template)
        if body is None and validator is not None:
            raise validation_error("Brak treści żądania.")
        if validator is not None:
            errors = schema.schema_errors(validator, body)
            if errors:
                raise validation_error(*errors)
        self._body = body if isinstance(body, dict) else {}
        return self._body

    # --- query parameters ---------------------------------------------------------------------------------------

    def query_int(self, name: str, default: int, minimum: int, maximum: int | None = None) -> int:
        raw = self.request.query_params.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise validation_error(f"{name}: wartość {raw!r} nie jest liczbą całkowitą.") from None
        if value < minimum or (maximum is not None and value > maximum):
            upper = f"..{maximum}" if maximum is not None else "+"
            raise validation_error(f"{name}: wartość {value} spoza zakresu {minimum}{upper}.")
        return value

    def query_enum(self, name: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
        raw = self.request.query_params.get(name)
        if raw is None or raw == "":
            return default
        if raw not in allowed:
            raise validation_error(f"{name}: wartość {raw!r} nie należy do {list(allowed)}.")
        return raw

    def query_list(self, name: str) -> list[str]:
        return [value for value in self.request.query_params.getlist(name) if value]

    def path_reference(self, name: str = "referenceNumber") -> str:
        value = self.params[name]
        if len(value) != 36:
            raise ApiError(21405, f"{name}: numer referencyjny musi mieć 36 znaków.")
        return value


def _continuation_offset(call: Call) -> int:
    """Continuation tokens are opaque to clients; ours encode an offset. A foreign one is 21418."""
    raw = call.request.headers.get("x-continuation-token")
    if not raw:
        return 0
    try:
        offset = int(json.loads(base64.urlsafe_b64decode(raw.encode("ascii")))["o"])
    except (ValueError, KeyError, TypeError):
        raise ApiError(21418) from None
    if offset < 0:
        raise ApiError(21418)
    return offset


def continuation_page(call: Call, items: list[Any], max_size: int) -> tuple[list[Any], str | None]:
    """One page of continuation-style paging (`pageSize` 10..max, `x-continuation-token`) and the next token."""
    size = call.query_int("pageSize", 10, 10, max_size)
    offset = _continuation_offset(call)
    following = offset + size
    token = base64.urlsafe_b64encode(json.dumps({"o": following}).encode()).decode("ascii")
    return items[offset:following], token if following < len(items) else None


def offset_page(call: Call, items: list[Any], max_size: int) -> tuple[list[Any], bool]:
    """One page of offset-style paging (`pageOffset` is a page index, `pageSize` 10..max) and `hasMore`."""
    size = call.query_int("pageSize", 10, 10, max_size)
    first = call.query_int("pageOffset", 0, 0) * size
    return items[first : first + size], first + size < len(items)


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def empty_response(status: int) -> Response:
    return Response(status_code=status)
