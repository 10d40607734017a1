"""KSeF's error shapes (PROTOCOL.md §13.1) and the codes the simulator raises, with the spec's own descriptions.

400 and 429 come in two formats: the legacy `ExceptionResponse` / `TooManyRequestsResponse`, or problem+json when the
request carries `X-Error-Format: problem-details`. 401, 403 and 410 are always problem+json.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from simulator.timeutil import iso

PROBLEM_JSON = "application/problem+json"

# Descriptions copied from the 400 tables of the official OpenAPI (2.7.0 snapshot).
DESCRIPTIONS: dict[int, str] = {
    9101: "Nieprawidłowy dokument.",
    9102: "Brak podpisu.",
    9103: "Przekroczona liczba dozwolonych podpisów.",
    9105: "Nieprawidłowy podpis.",
    21001: "Nieczytelna treść.",
    21111: "Nieprawidłowe wyzwanie autoryzacyjne.",
    21115: "Nieprawidłowy certyfikat.",
    21117: "Nieprawidłowy identyfikator podmiotu dla wskazanego typu kontekstu.",
    21155: "Przekroczono dozwoloną liczbę faktur w sesji.",
    21164: "Faktura o podanym identyfikatorze nie istnieje.",
    21165: "Faktura o podanym numerze KSeF nie jest jeszcze dostępna.",
    21166: "Korekta techniczna niedostępna.",
    21167: "Status faktury nie pozwala na korektę techniczną.",
    21173: "Brak sesji o wskazanym numerze referencyjnym.",
    21175: "Wynik zapytania o podanym identyfikatorze nie istnieje.",
    21178: "Nie znaleziono UPO dla podanych kryteriów.",
    21180: "Status sesji nie pozwala na wykonanie operacji.",
    21181: "Nieprawidłowe żądanie eksportu faktur.",
    21182: "Osiągnięto limit trwających eksportów.",
    21183: "Zakres filtrowania wykracza poza dostępny zakres danych.",
    21217: "Nieprawidłowe kodowanie znaków.",
    21301: "Brak autoryzacji.",
    21304: "Brak uwierzytelnienia.",
    21308: "Próba wykorzystania metod autoryzacyjnych osoby zmarłej.",
    21401: "Dokument nie jest zgodny ze schemą (xsd).",
    21402: "Nieprawidłowy rozmiar pliku.",
    21403: "Nieprawidłowy skrót pliku.",
    21405: "Błąd walidacji danych wejściowych.",
    21406: "Konflikt podpisu i typu uwierzytelnienia.",
    21418: "Przekazany token kontynuacji ma nieprawidłowy format.",
    21470: "Przesłany identyfikator klucza jest nieznany lub wskazuje na wycofany klucz.",
    25001: "Brak możliwości pobrania danych do CSR dla wykorzystanego sposobu uwierzytelnienia.",
    25002: "Brak możliwości złożenia wniosku certyfikacyjnego dla wykorzystanego sposobu uwierzytelnienia.",
    25003: "Dane w CSR nie zgadzają się z danymi w użytym wektorze uwierzytelniającym.",
    25004: "Niepoprawny format CSR lub niepoprawny podpis CSR.",
    25005: "Wniosek certyfikacyjny o podanym numerze referencyjnym nie istnieje.",
    25006: "Osiągnięto limit możliwych do złożenia wniosków certyfikacyjnych.",
    25007: "Osiągnięto limit dopuszczalnej liczby posiadanych certyfikatów.",
    25008: "Certyfikat o podanym numerze seryjnym nie istnieje.",
    25009: "Nie można odwołać wskazanego certyfikatu, ponieważ jest już odwołany, zablokowany lub nieważny.",
    25010: "Nieprawidłowy typ lub długość klucza.",
    25011: "Nieprawidłowy algorytm podpisu CSR.",
    26001: "Nie można nadać tokenowi uprawnień których nie posiadasz.",
    26002: "Nie można wygenerować tokena dla obecnego typu kontekstu.",
    30001: "Podmiot lub uprawnienie już istnieje.",
}

# reasonCode -> detail, from ForbiddenProblemDetails.reasonCode in the spec.
FORBIDDEN_DETAILS: dict[str, str] = {
    "missing-permissions": "Brak wymaganych uprawnień do wykonania operacji w bieżącym kontekście.",
    "ip-not-allowed": "Żądanie pochodzi z adresu IP innego niż wskazany podczas uwierzytelnienia.",
    "insufficient-resource-access": "Brak dostępu do wskazanego zasobu.",
    "auth-method-not-allowed": "Ta operacja nie jest dostępna dla użytej metody uwierzytelnienia.",
    "security-service-blocked": "Żądanie zostało zablokowane przez mechanizmy bezpieczeństwa.",
    "context-type-not-allowed": "Operacja nie jest dostępna dla uwierzytelnionego typu kontekstu.",
}


class ApiError(Exception):
    """A 400 with one KSeF exception code; raise it anywhere below a handler."""

    def __init__(self, code: int, details: str | list[str] | None = None, *, reference_number: str | None = None):
        super().__init__(code)
        self.code = code
        self.description = DESCRIPTIONS.get(code, DESCRIPTIONS[21405])
        self.details = [details] if isinstance(details, str) else list(details or [])
        self.reference_number = reference_number


class Unauthorized(Exception):
    def __init__(self, detail: str = "Wymagane jest uwierzytelnienie.") -> None:
        super().__init__(detail)
        self.detail = detail


class Forbidden(Exception):
    def __init__(self, reason_code: str, security: dict[str, Any] | None = None) -> None:
        super().__init__(reason_code)
        self.reason_code = reason_code
        self.security = security


class Gone(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def validation_error(*details: str) -> ApiError:
    return ApiError(21405, list(details))


def _trace_id() -> str:
    return secrets.token_hex(16)


def wants_problem_details(request: Request) -> bool:
    return request.headers.get("x-error-format", "").strip().lower() == "problem-details"


def _json(body: dict[str, Any], status: int, media_type: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status_code=status,
        media_type=media_type,
        headers=headers,
    )


def bad_request(request: Request, error: ApiError, now: datetime) -> Response:
    if wants_problem_details(request):
        body: dict[str, Any] = {
            "title": "Bad Request",
            "status": 400,
            "instance": request.url.path,
            "detail": error.description,
            "errors": [{"code": error.code, "description": error.description, "details": error.details}],
            "timestamp": iso(now),
            "traceId": _trace_id(),
        }
        return _json(body, 400, PROBLEM_JSON)
    trace = _trace_id()
    exception: dict[str, Any] = {
        "exceptionDetailList": [
            {"exceptionCode": error.code, "exceptionDescription": error.description, "details": error.details}
        ],
        "serviceCode": f"00-{trace}-{secrets.token_hex(8)}-00",
        "serviceCtx": "srvSIMUL",
        "serviceName": "Symulator KSeF",
        "timestamp": iso(now),
    }
    if error.reference_number:
        exception["referenceNumber"] = error.reference_number
    return _json({"exception": exception}, 400, "application/json")


def unauthorized(request: Request, error: Unauthorized, now: datetime) -> Response:
    body = {
        "title": "Unauthorized",
        "status": 401,
        "detail": error.detail,
        "instance": request.url.path,
        "traceId": _trace_id(),
        "timestamp": iso(now),
    }
    return _json(body, 401, PROBLEM_JSON)


def forbidden(request: Request, error: Forbidden, now: datetime) -> Response:
    body: dict[str, Any] = {
        "title": "Forbidden",
        "status": 403,
        "detail": FORBIDDEN_DETAILS.get(error.reason_code, FORBIDDEN_DETAILS["insufficient-resource-access"]),
        "instance": request.url.path,
        "reasonCode": error.reason_code,
        "security": error.security,
        "traceId": _trace_id(),
        "timestamp": iso(now),
    }
    return _json(body, 403, PROBLEM_JSON)


def gone(request: Request, error: Gone, now: datetime) -> Response:
    body = {
        "title": "Gone",
        "status": 410,
        "instance": request.url.path,
        "detail": error.detail,
        "timestamp": iso(now),
        "traceId": _trace_id(),
    }
    return _json(body, 410, PROBLEM_JSON)


def too_many_requests(request: Request, retry_after: int, detail: str, now: datetime) -> Response:
    headers = {"Retry-After": str(max(1, retry_after))}
    if wants_problem_details(request):
        body: dict[str, Any] = {
            "title": "Too Many Requests",
            "status": 429,
            "instance": request.url.path,
            "detail": detail,
            "timestamp": iso(now),
            "traceId": _trace_id(),
        }
        return _json(body, 429, PROBLEM_JSON, headers)
    return _json(
        {"status": {"code": 429, "description": "Too Many Requests", "details": [detail]}},
        429,
        "application/json",
        headers,
    )


# RFC 9110's name; Python before 3.13 still calls 413 "Request Entity Too Large".
_TITLES = {413: "Content Too Large"}


def problem(
    request: Request,
    status: int,
    detail: str,
    now: datetime | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """A problem+json answer for statuses the spec gives no body (5xx, 413, admin errors). `now` defaults to the
    wall clock, for answers about a failure that may lie in the simulated clock itself."""
    body = {
        "title": _TITLES.get(status) or HTTPStatus(status).phrase,
        "status": status,
        "instance": request.url.path,
        "detail": detail,
        "timestamp": iso(now or datetime.now(UTC)),
        "traceId": _trace_id(),
        **(extra or {}),
    }
    return _json(body, status, PROBLEM_JSON, headers)


# What an injected error fault may answer: the server errors the HTTP standard names (a 4xx has its own KSeF shape).
SERVER_ERROR_STATUSES = tuple(s.value for s in HTTPStatus if 500 <= s.value <= 599)


def server_error(request: Request, status: int, now: datetime, retry_after: int | None = None) -> Response:
    """Injected 5xx faults and unavailability; KSeF documents no body for these, so a plain problem is simplest."""
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return problem(request, status, "Symulowana awaria usługi.", now, headers)


def internal_error(request: Request) -> Response:
    """An unexpected exception: a simulator bug, answered in the same shape as any other server error."""
    return problem(request, 500, "Nieoczekiwany błąd symulatora; szczegóły są w jego logu i w /_sim/health.")
