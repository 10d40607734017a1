"""Every failure of a KSeF call, classified into a problem class (DESIGN.md §3 G.17) with KSeF's raw answer kept.

The codes come from the official OpenAPI (PROTOCOL.md §13): HTTP 400 `exceptionCode`s, 401/403/410/429 problem
details, and the status codes of asynchronous operations (auth 415/450/460/480, invoice 410/430/440/450).
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, field
from typing import Any

import httpx
from ksef_client.exceptions import KsefHttpError

from core.errors import ExternalFailure
from core.texts import Text
from core.types import ProblemClass

# 400 exceptionCodes that mean the credential itself is bad (PROTOCOL.md §13.2).
# Certificate enrollment and revocation refusals (PROTOCOL.md §11, the OpenAPI's 25001–25011): none is retried.
CERTIFICATE_CODES = {
    25001: ProblemClass.invalid_credentials,
    25002: ProblemClass.invalid_credentials,
    25003: ProblemClass.invalid_credentials,
    25004: ProblemClass.invalid_credentials,
    25005: ProblemClass.invalid_credentials,
    25006: ProblemClass.quota_exhausted,
    25007: ProblemClass.quota_exhausted,
    25008: ProblemClass.invalid_credentials,
    25009: ProblemClass.invalid_credentials,
    25010: ProblemClass.invalid_credentials,
    25011: ProblemClass.invalid_credentials,
}
_CREDENTIAL_CODES = {21115, 21301, 9101, 9102, 9103, 9105, 21308}
# Auth statuses with their own explanation in the catalogue (`ksef.auth_status.<code>`).
_AUTH_STATUS_TEXTS = {415, 425, 450, 460, 470, 480}
# Asynchronous auth statuses (GET /auth/{ref}) and what they mean for the office.
AUTH_STATUS_CLASSES = {
    415: ProblemClass.missing_rights,
    425: ProblemClass.invalid_credentials,
    450: ProblemClass.invalid_credentials,
    460: ProblemClass.invalid_credentials,
    470: ProblemClass.invalid_credentials,
    480: ProblemClass.invalid_credentials,
    500: ProblemClass.ksef_unavailable,
    550: ProblemClass.ksef_unavailable,
}


@dataclass
class KsefFailure(ExternalFailure):
    """A classified failure. `message` is a catalogue `Text` (Polish as a str), safe to show; never a secret."""

    problem_class: ProblemClass
    message: str
    http_status: int | None = None
    ksef_code: int | None = None
    description: str = ""
    service_code: str = ""
    reference_number: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    retry_after: float | None = None

    @property
    def retryable(self) -> bool:
        return self.problem_class in {ProblemClass.network, ProblemClass.ksef_unavailable, ProblemClass.rate_limited}


def _network_kind(error: BaseException | None) -> str:
    seen = error
    while seen is not None:
        if isinstance(seen, httpx.TimeoutException | TimeoutError):
            return "timeout"
        if isinstance(seen, ssl.SSLError):
            return "tls"
        if isinstance(seen, socket.gaierror):
            return "dns"
        if isinstance(seen, httpx.RemoteProtocolError | httpx.ReadError | ConnectionResetError):
            return "dropped"
        text = str(seen).lower()
        if "name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
            return "dns"
        if "certificate verify failed" in text or "ssl" in text:
            return "tls"
        seen = seen.__cause__ or seen.__context__
    return "connect"


def network_failure(error: BaseException) -> KsefFailure:
    kind = _network_kind(error)
    return KsefFailure(
        ProblemClass.network,
        Text("ksef.network", kind=Text(f"ksef.network.{kind}")),
        details={"kind": kind, "error": type(error).__name__},
    )


def _first_exception_detail(body: dict[str, Any]) -> tuple[int | None, str, list[str], str, str]:
    """Code, description, details, serviceCode and referenceNumber from either 400 format."""
    exception = body.get("exception")
    if isinstance(exception, dict):
        items = exception.get("exceptionDetailList") or [{}]
        first = items[0] if isinstance(items[0], dict) else {}
        return (
            first.get("exceptionCode"),
            str(first.get("exceptionDescription") or ""),
            list(first.get("details") or []),
            str(exception.get("serviceCode") or ""),
            str(exception.get("referenceNumber") or ""),
        )
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        return (
            first.get("code"),
            str(first.get("description") or ""),
            list(first.get("details") or []),
            str(body.get("traceId") or ""),
            "",
        )
    return None, str(body.get("detail") or body.get("title") or ""), [], str(body.get("traceId") or ""), ""


def classify_http_error(error: KsefHttpError) -> KsefFailure:
    status = error.status_code
    if status == 0:
        return network_failure(error.__cause__ or error)
    body = error.response_body if isinstance(error.response_body, dict) else {}
    code, description, details, service_code, reference = _first_exception_detail(body)
    raw: dict[str, Any] = {
        "http_status": status,
        "ksef_code": code,
        "description": description,
        "service_code": service_code,
        "reference_number": reference,
        "details": {"details": details} if details else {},
    }
    if status == 429:
        retry = float(error.retry_after) if error.retry_after is not None else None
        message = Text("ksef.rate_limited_retry", seconds=retry) if retry is not None else Text("ksef.rate_limited")
        return KsefFailure(ProblemClass.rate_limited, message, retry_after=retry, **raw)
    if status == 403:
        reason = str(body.get("reasonCode") or "")
        security: dict[str, Any] = body["security"] if isinstance(body.get("security"), dict) else {}
        raw["details"] = {"reasonCode": reason, "security": security}
        if reason == "missing-permissions":
            required = ", ".join(security.get("requiredAnyOfPermissions") or []) or "?"
            return KsefFailure(ProblemClass.missing_rights, Text("ksef.missing_permissions", required=required), **raw)
        if reason == "context-type-not-allowed":
            return KsefFailure(ProblemClass.wrong_company_key, Text("ksef.context_not_allowed"), **raw)
        return KsefFailure(ProblemClass.missing_rights, Text("ksef.forbidden", reason=reason or "forbidden"), **raw)
    if status == 401:
        return KsefFailure(ProblemClass.auth_required, Text("ksef.unauthorized"), **raw)
    if status in {500, 502, 503, 504}:
        retry = float(error.retry_after) if error.retry_after is not None else None
        return KsefFailure(
            ProblemClass.ksef_unavailable, Text("ksef.unavailable", status=status), retry_after=retry, **raw
        )
    if status == 400 and code in _CREDENTIAL_CODES:
        return KsefFailure(
            ProblemClass.invalid_credentials, Text("ksef.credential_refused", description=description), **raw
        )
    if status == 400 and code in CERTIFICATE_CODES:
        return KsefFailure(CERTIFICATE_CODES[code], Text(f"ksef.certificate.{code}"), **raw)
    if status == 400 and code == 21117:
        return KsefFailure(
            ProblemClass.wrong_company_key, Text("ksef.identifier_mismatch", description=description), **raw
        )
    return KsefFailure(
        ProblemClass.internal, Text("ksef.refused", status=status, code=code, description=description), **raw
    )


def classify(error: BaseException) -> KsefFailure:
    if isinstance(error, KsefFailure):
        return error
    if isinstance(error, KsefHttpError):
        return classify_http_error(error)
    if isinstance(error, httpx.TransportError | OSError):
        return network_failure(error)
    return KsefFailure(
        ProblemClass.internal,
        Text("ksef.internal", error=type(error).__name__),
        details={"error": str(error)[:500]},
    )


def auth_status_failure(code: int, description: str, details: list[str], reference: str) -> KsefFailure:
    """An authentication that ended with a non-200 status (GET /auth/{ref})."""
    problem_class = AUTH_STATUS_CLASSES.get(code, ProblemClass.internal)
    message = (
        Text(f"ksef.auth_status.{code}")
        if code in _AUTH_STATUS_TEXTS
        else Text("ksef.auth_status.other", code=code, description=description)
    )
    return KsefFailure(
        problem_class,
        message,
        ksef_code=code,
        description=description,
        reference_number=reference,
        details={"details": details, "phase": "authentication"},
    )
