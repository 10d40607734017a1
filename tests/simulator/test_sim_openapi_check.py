"""The response validator itself must be able to fail, or the conformance suite proves nothing."""

from __future__ import annotations

import httpx
import pytest

from tests.simulator.openapi_check import ResponseValidator

REFERENCE = "20260101-AU-0000000000-0000000000-00"


def _response(status: int, body: object, path: str = f"/v2/auth/{REFERENCE}", **headers: str) -> httpx.Response:
    request = httpx.Request("GET", f"http://sim{path}")
    return httpx.Response(status, json=body, request=request, headers=headers)


def test_a_body_missing_required_fields_is_rejected():
    with pytest.raises(AssertionError, match="status"):
        ResponseValidator().check(_response(200, {"startDate": "2026-01-01T00:00:00+00:00"}))


def test_wrong_types_and_formats_are_rejected():
    body = {"challenge": "x" * 36, "timestamp": "not a date", "timestampMs": 1, "clientIp": "127.0.0.1"}
    request = httpx.Request("POST", "http://sim/v2/auth/challenge")
    with pytest.raises(AssertionError, match="timestamp"):
        ResponseValidator().check(httpx.Response(200, json=body, request=request))


def test_undocumented_status_and_media_type_are_rejected():
    with pytest.raises(AssertionError, match="not in the spec"):
        ResponseValidator().check(_response(418, {}))
    request = httpx.Request("GET", f"http://sim/v2/auth/{REFERENCE}")
    with pytest.raises(AssertionError, match="application/json"):
        ResponseValidator().check(httpx.Response(401, json={}, request=request))  # 401 must be problem+json


def test_superset_fields_and_valid_bodies_pass():
    body = {
        "challenge": "x" * 36,
        "timestamp": "2026-01-01T00:00:00.0154302+00:00",
        "timestampMs": 1,
        "clientIp": "127.0.0.1",
        "futureField": True,
    }
    request = httpx.Request("POST", "http://sim/v2/auth/challenge")
    validator = ResponseValidator()
    validator.check(httpx.Response(200, json=body, request=request))
    assert ("POST", "/auth/challenge", 200) in validator.validated
