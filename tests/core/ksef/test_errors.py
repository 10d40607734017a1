"""classify_http_error: every HTTP status family and both 400 body formats of PROTOCOL.md §13.1."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from ksef_client.exceptions import KsefHttpError

from core.ksef.errors import classify_http_error
from core.types import ProblemClass


def http_error(status: int, body: Any = None, *, retry_after: int | None = None) -> KsefHttpError:
    return KsefHttpError(status, "API error", response_body=body, retry_after=retry_after)


def exception_body(code: int, description: str = "opis", details: list[str] | None = None) -> dict[str, Any]:
    """The default 400 format: the code lives inside exceptionDetailList[]."""
    return {
        "exception": {
            "exceptionDetailList": [
                {"exceptionCode": code, "exceptionDescription": description, "details": details or []}
            ],
            "referenceNumber": "20260301-EE-0000000000-00",
            "serviceCode": "00-trace-span-00",
        }
    }


def problem_body(code: int, description: str = "opis", details: list[str] | None = None) -> dict[str, Any]:
    """The 400 problem+json format: errors[] at the top, traceId beside it."""
    return {
        "title": "Bad Request",
        "status": 400,
        "detail": "Błąd walidacji",
        "errors": [{"code": code, "description": description, "details": details or []}],
        "traceId": "trace-1",
    }


# --- 400: both formats carry the same facts ---


@pytest.mark.parametrize("body", [exception_body, problem_body])
@pytest.mark.parametrize("code", [21115, 21301, 9101, 9102, 9103, 9105, 21308])
def test_a_refused_credential_is_invalid_credentials_in_either_format(body, code):
    failure = classify_http_error(http_error(400, body(code, "Token unieważniony")))
    assert failure.problem_class is ProblemClass.invalid_credentials
    assert (failure.http_status, failure.ksef_code, failure.description) == (400, code, "Token unieważniony")
    assert "Token unieważniony" in failure.message
    assert not failure.retryable


@pytest.mark.parametrize("body", [exception_body, problem_body])
def test_21117_means_the_identifier_does_not_fit_the_context(body):
    failure = classify_http_error(http_error(400, body(21117, "NIP nie pasuje")))
    assert failure.problem_class is ProblemClass.wrong_company_key
    assert "NIP nie pasuje" in failure.message


@pytest.mark.parametrize("body", [exception_body, problem_body])
def test_any_other_400_is_internal_and_names_the_code(body):
    failure = classify_http_error(http_error(400, body(21405, "Błąd walidacji danych", ["pole x"])))
    assert failure.problem_class is ProblemClass.internal
    assert "21405" in failure.message and "Błąd walidacji danych" in failure.message
    assert failure.details == {"details": ["pole x"]}


def test_the_exception_format_keeps_service_code_and_reference():
    failure = classify_http_error(http_error(400, exception_body(21405)))
    assert (failure.service_code, failure.reference_number) == ("00-trace-span-00", "20260301-EE-0000000000-00")


def test_the_problem_format_keeps_the_trace_id_as_service_code():
    failure = classify_http_error(http_error(400, problem_body(21405)))
    assert (failure.service_code, failure.reference_number) == ("trace-1", "")


@pytest.mark.parametrize("body", [None, "not json", [], {"exception": None}, {"errors": []}])
def test_a_400_without_a_readable_code_is_internal(body):
    failure = classify_http_error(http_error(400, body))
    assert failure.problem_class is ProblemClass.internal
    assert (failure.http_status, failure.ksef_code) == (400, None)


def test_a_problem_detail_without_errors_gives_its_detail_as_description():
    failure = classify_http_error(http_error(410, {"title": "Gone", "status": 410, "detail": "Sesja usunięta"}))
    assert failure.problem_class is ProblemClass.internal
    assert (failure.http_status, failure.description) == (410, "Sesja usunięta")


# --- 401, 403 ---


def test_401_asks_for_a_new_authentication():
    failure = classify_http_error(http_error(401, {"title": "Unauthorized", "status": 401, "traceId": "t-401"}))
    assert failure.problem_class is ProblemClass.auth_required
    assert (failure.http_status, failure.service_code) == (401, "t-401")


def test_403_missing_permissions_names_what_is_required():
    security = {"requiredAnyOfPermissions": ["InvoiceRead", "Owner"], "presentPermissions": []}
    failure = classify_http_error(
        http_error(403, {"status": 403, "reasonCode": "missing-permissions", "security": security})
    )
    assert failure.problem_class is ProblemClass.missing_rights
    assert "InvoiceRead, Owner" in failure.message
    assert failure.details == {"reasonCode": "missing-permissions", "security": security}


def test_403_missing_permissions_without_a_list_is_still_missing_rights():
    failure = classify_http_error(http_error(403, {"reasonCode": "missing-permissions"}))
    assert failure.problem_class is ProblemClass.missing_rights
    assert failure.details == {"reasonCode": "missing-permissions", "security": {}}


def test_403_context_type_not_allowed_is_a_wrong_key():
    failure = classify_http_error(http_error(403, {"reasonCode": "context-type-not-allowed", "security": {}}))
    assert failure.problem_class is ProblemClass.wrong_company_key


@pytest.mark.parametrize(
    ("body", "shown"), [({"reasonCode": "ip-not-allowed"}, "ip-not-allowed"), ({}, "forbidden"), (None, "forbidden")]
)
def test_any_other_403_is_missing_rights_with_the_reason(body, shown):
    failure = classify_http_error(http_error(403, body))
    assert failure.problem_class is ProblemClass.missing_rights
    assert shown in failure.message
    assert failure.details["reasonCode"] == (body or {}).get("reasonCode", "")


# --- 429, 5xx ---


def test_429_is_rate_limited_with_the_wait_ksef_asked_for():
    failure = classify_http_error(http_error(429, {"status": {"code": 429}}, retry_after=30))
    assert failure.problem_class is ProblemClass.rate_limited
    assert failure.retry_after == 30.0
    assert "30 s" in failure.message
    assert failure.retryable


def test_429_without_retry_after_promises_no_wait():
    failure = classify_http_error(http_error(429))
    assert failure.problem_class is ProblemClass.rate_limited
    assert failure.retry_after is None and " s." not in failure.message


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_ksef_unavailable_and_keep_retry_after(status):
    failure = classify_http_error(http_error(status, retry_after=120))
    assert failure.problem_class is ProblemClass.ksef_unavailable
    assert str(status) in failure.message
    assert (failure.retry_after, failure.retryable) == (120.0, True)


@pytest.mark.parametrize("status", [404, 405, 409, 410, 415, 501])
def test_any_other_status_is_internal(status):
    failure = classify_http_error(http_error(status))
    assert failure.problem_class is ProblemClass.internal
    assert failure.http_status == status and not failure.retryable


# --- no HTTP answer at all (the SDK reports status 0 with the httpx error as the cause) ---


@pytest.mark.parametrize(
    ("cause", "kind"),
    [
        (httpx.ConnectError("connection refused"), "connect"),
        (httpx.ConnectError("[Errno -2] Name or service not known"), "dns"),
        (httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"), "tls"),
        (httpx.ReadTimeout("timed out"), "timeout"),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), "dropped"),
        (httpx.ReadError("connection reset"), "dropped"),
    ],
)
def test_status_0_is_a_network_failure_of_the_cause_s_kind(cause, kind):
    error = http_error(0)
    error.__cause__ = cause
    failure = classify_http_error(error)
    assert failure.problem_class is ProblemClass.network
    assert failure.details == {"kind": kind, "error": type(cause).__name__}
    assert failure.http_status is None and failure.retryable


def test_details_stay_out_of_the_message():
    body = problem_body(21405, "Błąd", ["token=tajny-token-123"])
    failure = classify_http_error(http_error(400, body))
    assert "tajny-token-123" not in str(failure)
    assert failure.details == {"details": ["token=tajny-token-123"]}  # kept with the failure, not in its message
