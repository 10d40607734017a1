"""The intake API for the clients' own programs (DESIGN.md §3 K.26), served by `ksef-console intake serve`.

Built on FastAPI: the OpenAPI document (`/openapi.json`, read in `/docs`) is generated from the typed models in
`core.intake.schemas`, so what the API says and what it does cannot drift apart, and the same document drives the
schemathesis tests; it is widely used and maintained, and Starlette, already the console's HTTP toolkit for the
simulator, is underneath. The endpoints are thin: each calls `core.services.clientside.intake`, which binds every
request to the signed-in program's one client and audits every push and pull.

Errors are one body (`ErrorBody`): a code for programs and one sentence for people, Polish by default and English
with `Accept-Language: en`. A request larger than KSeF's invoice limit (in Base64) is refused before it is read.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from core.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound, PermissionDenied, ServiceError
from core.intake.schemas import (
    MAX_ID,
    MAX_REQUEST_BYTES,
    AckIn,
    AckOut,
    ConnectionOut,
    DocumentList,
    DocumentOut,
    ErrorBody,
    PushIn,
    ReceivedOut,
    ReceivedPageOut,
    SignIn,
    TokenOut,
)
from core.invoice_xml import MAX_INVOICE_BYTES
from core.services.clientside import intake
from core.texts import Text, localise
from core.types import utcnow

XML = "application/xml"
_bearer = HTTPBearer(auto_error=False, description="the token from POST /v1/auth/token")


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorBody} for code in codes}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, problems: list[str] | None = None) -> None:
        self.status, self.code, self.message, self.problems = status, code, message, problems or []


class SizeCap:
    """Refuses a body over the cap from its Content-Length, or while it streams in when it has none."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_REQUEST_BYTES):
            await _too_large(scope, receive, send)
            return
        seen = 0

        async def capped() -> Any:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > MAX_REQUEST_BYTES:
                raise ApiError(413, "too_large", Text("intake.too_large", limit=MAX_INVOICE_BYTES))
            return message

        await self.app(scope, capped, send)


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    body = ErrorBody(code="too_large", message=Text("intake.too_large", limit=MAX_INVOICE_BYTES))
    await JSONResponse(body.model_dump(), status_code=413)(scope, receive, send)


def _lang(request: Request) -> str:
    return "en" if request.headers.get("accept-language", "").lower().startswith("en") else "pl"


def _body(request: Request, code: str, message: str, problems: Sequence[str] | None = None) -> dict[str, Any]:
    lang = _lang(request)
    return ErrorBody(
        code=code, message=localise(message, lang), problems=[localise(p, lang) for p in problems or []]
    ).model_dump()


def _program(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> intake.Program:
    """The signed-in program of a request (annotations are resolved at module level: keep this here)."""
    if credentials is None or not credentials.credentials:
        raise AuthenticationFailed(Text("intake.token_unknown"))
    return intake.authorize(credentials.credentials)


Signed = Annotated[intake.Program, Depends(_program)]


def _allowed(app: FastAPI, path: str) -> set[str]:
    methods: set[str] = set()
    for route in app.routes:
        if isinstance(route, APIRoute) and route.path_regex.match(path):
            methods |= route.methods or set()
    return methods


_STATUS: list[tuple[type[ServiceError], int, str]] = [
    (AuthenticationFailed, 401, "not_authenticated"),
    (NotFound, 404, "not_found"),
    (InvalidInput, 400, "invalid"),
    (PermissionDenied, 403, "forbidden"),
    (Conflict, 409, "conflict"),
]


def create_app() -> FastAPI:
    app = FastAPI(
        title="KSeF Office Console — intake API",
        version="1",
        description="For the clients' own programs: push FA(3) invoices to the accounting office, read back their "
        "KSeF numbers and UPOs, pull the invoices received for the client. Sign in at POST /v1/auth/token with "
        "the company key from the office, the program's name and its password; send the token as a bearer token.",
    )
    app.add_middleware(SizeCap)

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, error: ServiceError) -> JSONResponse:
        for kind, status, code in _STATUS:
            if isinstance(error, kind):
                if isinstance(error, intake.ProgramLocked):
                    code = "locked"
                problems = list(error.problems) if isinstance(error, InvalidInput) else []
                return JSONResponse(_body(request, code, error.message, problems), status_code=status)
        return JSONResponse(_body(request, "invalid", error.message), status_code=400)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        return JSONResponse(_body(request, error.code, error.message, error.problems), status_code=error.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        # FastAPI's own refusals (a body that is not JSON, an unknown path, a wrong method) in the same error body.
        code = {401: "not_authenticated", 403: "forbidden", 404: "not_found", 413: "too_large"}.get(
            error.status_code, "invalid"
        )
        message = Text("intake.bad_request", reason=str(error.detail))
        headers = dict(error.headers or {})
        if error.status_code == 405:
            # Starlette names only the first route of the path; a path with GET and POST routes allows both.
            headers["Allow"] = ", ".join(sorted(_allowed(app, request.url.path)))
        return JSONResponse(_body(request, code, message), status_code=error.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [
            Text("intake.bad_request", reason=f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}")
            for e in error.errors()
        ][:20]
        message = problems[0] if problems else Text("intake.bad_request", reason="")
        return JSONResponse(_body(request, "invalid", message, problems), status_code=400)

    @app.post("/v1/auth/token", response_model=TokenOut, responses=_errors(400, 401), tags=["auth"])
    def sign_in(body: SignIn) -> TokenOut:
        """Sign the program in; the token lasts 15 minutes. Repeated failures lock the program out for a while."""
        issued = intake.sign_in(company_key=body.company_key, program=body.program, password=body.password)
        return TokenOut(access_token=issued.token, expires_at=issued.expires_at)

    @app.get("/v1/connection", response_model=ConnectionOut, responses=_errors(400, 401), tags=["auth"])
    def connection(signed: Signed) -> ConnectionOut:
        """Test the connection: whose link the token belongs to."""
        return ConnectionOut(**intake.summary(signed), server_time=utcnow())

    @app.post(
        "/v1/invoices", response_model=DocumentOut, status_code=201, responses=_errors(400, 401, 413), tags=["push"]
    )
    def push(
        body: PushIn,
        signed: Signed,
        response: Response,
        idempotency_key: Annotated[str, Header(max_length=128)] = "",
    ) -> DocumentOut:
        """Push one FA(3) invoice. It is checked against the XSD and the seller must be the client; the same invoice
        (by content, or by the same Idempotency-Key) is accepted once: pushing it again answers 200 with the
        document already made, and nothing is sent to KSeF twice."""
        try:
            data = base64.b64decode(body.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput(Text("intake.bad_request", reason="content_base64")) from None
        outcome = intake.push(signed, data, file_name=body.file_name, idempotency_key=idempotency_key)
        if not outcome.created:
            response.status_code = 200
        return DocumentOut(**vars(outcome.document))

    @app.get("/v1/invoices", response_model=DocumentList, responses=_errors(400, 401), tags=["push"])
    def documents(
        signed: Signed,
        after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
        limit: Annotated[int, Query(ge=1, le=intake.PAGE_LIMIT)] = intake.PAGE_LIMIT,
    ) -> DocumentList:
        """The client's pushed documents after the id `after`, oldest first."""
        return DocumentList(items=[DocumentOut(**vars(d)) for d in intake.documents(signed, after=after, limit=limit)])

    @app.get("/v1/invoices/{document_id}", response_model=DocumentOut, responses=_errors(400, 401, 404), tags=["push"])
    def document(document_id: Annotated[int, Path(ge=1, le=MAX_ID)], signed: Signed) -> DocumentOut:
        """One pushed document: its status, KSeF number and whether its UPO is there."""
        return DocumentOut(**vars(intake.document(signed, document_id)))

    @app.get(
        "/v1/invoices/{document_id}/upo",
        response_class=Response,
        responses={200: {"content": {XML: {}}}, **_errors(400, 401, 404)},
        tags=["push"],
    )
    def upo(document_id: Annotated[int, Path(ge=1, le=MAX_ID)], signed: Signed) -> Response:
        """The UPO of an accepted document (404 until KSeF has accepted it)."""
        return Response(intake.upo(signed, document_id), media_type=XML)

    @app.get("/v1/received", response_model=ReceivedPageOut, responses=_errors(400, 401), tags=["pull"])
    def received(
        signed: Signed,
        cursor: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
        limit: Annotated[int, Query(ge=1, le=intake.PAGE_LIMIT)] = intake.PAGE_LIMIT,
    ) -> ReceivedPageOut:
        """Invoices received for the client (sales and purchases) not yet acknowledged by this program, after
        `cursor`. Page with `next_cursor`; start from 0 on every sync: what was not acknowledged comes again."""
        page = intake.received(signed, cursor=cursor, limit=limit)
        return ReceivedPageOut(items=[ReceivedOut(**vars(i)) for i in page.items], next_cursor=page.next_cursor)

    @app.get(
        "/v1/received/{invoice_id}/xml",
        response_class=Response,
        responses={200: {"content": {XML: {}}}, **_errors(400, 401, 404)},
        tags=["pull"],
    )
    def received_xml(invoice_id: Annotated[int, Path(ge=1, le=MAX_ID)], signed: Signed) -> Response:
        """The XML of a received invoice."""
        return Response(intake.received_xml(signed, invoice_id), media_type=XML)

    @app.post("/v1/received/ack", response_model=AckOut, responses=_errors(400, 401, 404), tags=["pull"])
    def acknowledge(body: AckIn, signed: Signed) -> AckOut:
        """Acknowledge pulled invoices: they are not offered to this program again."""
        return AckOut(acknowledged=intake.acknowledge(signed, body.invoice_ids))

    return app
