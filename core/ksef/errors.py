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

from core.types import ProblemClass

# 400 exceptionCodes that mean the credential itself is bad (PROTOCOL.md §13.2).
_CREDENTIAL_CODES = {21115, 21301, 9101, 9102, 9103, 9105, 21308}
_NETWORK_KINDS = {
    "dns": "nie udało się rozwiązać nazwy serwera (DNS)",
    "connect": "nie udało się nawiązać połączenia",
    "tls": "błąd TLS (certyfikat serwera lub szyfrowanie)",
    "timeout": "przekroczono czas oczekiwania na odpowiedź",
    "dropped": "połączenie zostało przerwane",
}
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
class KsefFailure(Exception):
    """A classified failure. `message` is Polish and safe to show; nothing secret is ever put in it."""

    problem_class: ProblemClass
    message: str
    http_status: int | None = None
    ksef_code: int | None = None
    description: str = ""
    service_code: str = ""
    reference_number: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    retry_after: float | None = None

    def __str__(self) -> str:
        return self.message

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
        f"Problem z połączeniem z KSeF: {_NETWORK_KINDS[kind]}.",
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
        wait = f" KSeF prosi o ponowienie za {retry:.0f} s." if retry is not None else ""
        return KsefFailure(
            ProblemClass.rate_limited,
            "Przekroczono limit zapytań KSeF dla tego kontekstu." + wait,
            retry_after=retry,
            **raw,
        )
    if status == 403:
        reason = str(body.get("reasonCode") or "")
        security: dict[str, Any] = body["security"] if isinstance(body.get("security"), dict) else {}
        raw["details"] = {"reasonCode": reason, "security": security}
        if reason == "missing-permissions":
            required = ", ".join(security.get("requiredAnyOfPermissions") or []) or "?"
            return KsefFailure(
                ProblemClass.missing_rights, f"Brak uprawnień w kontekście klienta (wymagane: {required}).", **raw
            )
        if reason == "context-type-not-allowed":
            return KsefFailure(ProblemClass.wrong_company_key, "Ten kontekst nie pasuje do poświadczenia.", **raw)
        return KsefFailure(ProblemClass.missing_rights, f"KSeF odmówił dostępu ({reason or 'forbidden'}).", **raw)
    if status == 401:
        return KsefFailure(ProblemClass.auth_required, "Sesja KSeF wygasła lub token jest nieważny.", **raw)
    if status in {500, 502, 503, 504}:
        retry = float(error.retry_after) if error.retry_after is not None else None
        return KsefFailure(
            ProblemClass.ksef_unavailable, f"KSeF jest niedostępny (HTTP {status}).", retry_after=retry, **raw
        )
    if status == 400 and code in _CREDENTIAL_CODES:
        return KsefFailure(ProblemClass.invalid_credentials, f"KSeF odrzucił poświadczenie: {description}", **raw)
    if status == 400 and code == 21117:
        return KsefFailure(
            ProblemClass.wrong_company_key, f"Identyfikator nie pasuje do kontekstu: {description}", **raw
        )
    return KsefFailure(
        ProblemClass.internal, f"KSeF odrzucił zapytanie (HTTP {status}, kod {code}): {description}", **raw
    )


def classify(error: BaseException) -> KsefFailure:
    if isinstance(error, KsefFailure):
        return error
    if isinstance(error, KsefHttpError):
        return classify_http_error(error)
    from core.ksef.limiter import RateLimitWaitTooLong

    if isinstance(error, RateLimitWaitTooLong):
        return KsefFailure(
            ProblemClass.rate_limited,
            f"Limit zapytań KSeF dla tego klienta jest wyczerpany; kolejna próba za {error.wait:.0f} s.",
            retry_after=error.wait,
        )
    if isinstance(error, httpx.TransportError | OSError):
        return network_failure(error)
    return KsefFailure(
        ProblemClass.internal, f"Błąd wewnętrzny: {type(error).__name__}", details={"error": str(error)[:500]}
    )


def auth_status_failure(code: int, description: str, details: list[str], reference: str) -> KsefFailure:
    """An authentication that ended with a non-200 status (GET /auth/{ref})."""
    problem_class = AUTH_STATUS_CLASSES.get(code, ProblemClass.internal)
    messages = {
        415: "Uwierzytelniony podmiot nie ma żadnych uprawnień w kontekście klienta.",
        425: "Uwierzytelnienie zostało unieważnione przez użytkownika.",
        450: "Token KSeF jest nieprawidłowy, unieważniony lub nieaktywny.",
        460: "Certyfikat jest nieprawidłowy, wygasły, unieważniony albo nie służy do uwierzytelniania.",
        470: "Poświadczenia osoby zmarłej.",
        480: "Uwierzytelnianie w tym kontekście jest zablokowane (incydent bezpieczeństwa).",
    }
    message = messages.get(code, f"Uwierzytelnienie zakończone statusem {code}: {description}")
    return KsefFailure(
        problem_class,
        message,
        ksef_code=code,
        description=description,
        reference_number=reference,
        details={"details": details, "phase": "authentication"},
    )
