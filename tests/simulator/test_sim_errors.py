"""Error formats and malformed input: every implemented operation answers junk with KSeF's 4xx shapes, never 500.

Each response also passes through the OpenAPI validator (the `http` fixture), so a 400 must have the documented
`ExceptionResponse` or problem+json body.
"""

from __future__ import annotations

import itertools
import json

import pytest
from ksef_client.services.auth import build_auth_token_request_xml
from ksef_client.services.xades import sign_xades_enveloped

from simulator import schema
from simulator.api import REGISTRY
from simulator.ratelimit import GROUP_ORDER
from tests.simulator.flows import CLIENT_NIP, self_signed, xades_auth

JUNK_BODIES = [b"{not json", b"[1, 2, 3]", b"{}", b'{"a": null}', b"null", b"\xff\xfe"]
PATH_VALUES = {
    "referenceNumber": "20260101-XX-0000000000-0000000000-00",
    "ksefNumber": "1234567890-20260101-X",
    "permissionId": "nie-ma-takiego-uprawnienia-0000000000",
    "certificateSerialNumber": "0000000000000000",
    "invoiceReferenceNumber": "krotki",
    "upoReferenceNumber": "20260101-EU-0000000000-0000000000-00",
    "serialNumber": "ABCDEF0123456789",
}


def _path(template: str) -> str:
    path = template
    for name, value in PATH_VALUES.items():
        path = path.replace("{" + name + "}", value)
    return "/v2" + path


def _wrong_types(body_schema: dict) -> list[dict]:
    """For each top-level property of the request schema, a body where it has a wrong type."""
    properties = schema.converted_schemas().get(body_schema.get("$ref", "").split("/")[-1], {}).get("properties")
    if properties is None and "allOf" in body_schema:
        name = body_schema["allOf"][0]["$ref"].split("/")[-1]
        properties = schema.converted_schemas()[name].get("properties", {})
    return [{prop: value} for prop, value in itertools.product(properties or {}, [12345, {"x": [1]}])]


@pytest.fixture
def owner_token(ksef) -> str:
    certificate, key = self_signed(nip=CLIENT_NIP)
    return xades_auth(ksef, CLIENT_NIP, certificate, key).access_token


def _refusable(validator, method: str, template: str, body: bytes) -> bool:
    try:
        parsed = json.loads(body)
    except ValueError:
        return True
    return not validator.request_body_is_valid(method, template, parsed)


def test_junk_everywhere_is_never_a_500(http, owner_token, response_validator):
    headers = {"Authorization": f"Bearer {owner_token}", "Content-Type": "application/json"}
    generous = {group: {"perSecond": 10_000, "perMinute": 10_000, "perHour": 100_000} for group in GROUP_ORDER}
    assert http.post("/v2/testdata/rate-limits", json={"rateLimits": generous}, headers=headers).status_code == 200
    checked = 0
    # the rate-limit overrides go last: fuzzing them resets the generous limits this test needs
    for method, template in sorted(REGISTRY, key=lambda key: (key[1].startswith("/testdata/rate-limits"), key)):
        operation = schema.operations()[(method, template)]
        typed = [json.dumps(body).encode() for body in _wrong_types(operation.body_schema or {})]
        bodies = [*JUNK_BODIES, *typed] if operation.body_schema else [b"", *JUNK_BODIES[:2]]
        for body, problem in itertools.product(bodies, (False, True)):
            extra = {"X-Error-Format": "problem-details"} if problem else {}
            response = http.request(
                method,
                _path(template),
                content=body,
                headers={**headers, **extra},
                params={"pageSize": "abc", "pageOffset": "-1", "sessionType": "Nope"},
            )
            assert response.status_code < 500, (method, template, body, response.text)
            if operation.body_schema and _refusable(response_validator, method, template, body):
                assert response.status_code in (400, 401, 403, 429), (method, template, body, response.status_code)
            checked += 1
    assert checked > 500


def test_unknown_paths_and_methods(http):
    assert http.get("/v2/no/such/path").status_code == 404
    assert http.put("/v2/auth/challenge").status_code == 405


def test_legacy_and_problem_400_shapes(http):
    body = {"challenge": "x" * 36, "contextIdentifier": {"type": "Nip", "value": CLIENT_NIP}, "encryptedToken": 5}
    legacy = http.post("/v2/auth/ksef-token", json=body).json()
    detail = legacy["exception"]["exceptionDetailList"][0]
    assert detail["exceptionCode"] == 21405 and "encryptedToken" in detail["details"][0]
    problem = http.post("/v2/auth/ksef-token", json=body, headers={"X-Error-Format": "problem-details"})
    assert problem.headers["content-type"].startswith("application/problem+json")
    assert problem.json()["errors"][0]["code"] == 21405 and problem.json()["status"] == 400


def test_401_and_403_are_problem_json(http, owner_token):
    missing = http.get("/v2/rate-limits")
    forged = http.get("/v2/rate-limits", headers={"Authorization": "Bearer a.b.c"})
    for response in (missing, forged):
        assert response.status_code == 401 and response.json()["title"] == "Unauthorized"
        assert response.headers["content-type"].startswith("application/problem+json")
    wrong_type = http.post("/v2/auth/token/redeem", headers={"Authorization": f"Bearer {owner_token}"})
    assert wrong_type.status_code == 401


def _signed(challenge: str, nip: str = CLIENT_NIP) -> str:
    certificate, key = self_signed(nip=nip)
    xml = build_auth_token_request_xml(challenge=challenge, context_identifier_type="nip", context_identifier_value=nip)
    return sign_xades_enveloped(xml, certificate, key)


@pytest.mark.parametrize(
    ("document", "code"),
    [
        (b"", 21001),
        (b"<nie-xml", 21001),
        (b'<?xml version="1.0"?><Inny xmlns="urn:x"/>', 9101),
        (
            build_auth_token_request_xml(
                challenge="20260101-CR-0000000000-0000000000-00",
                context_identifier_type="nip",
                context_identifier_value=CLIENT_NIP,
            ).encode(),
            9102,
        ),
    ],
)
def test_xades_document_errors(http, document, code):
    response = http.post("/v2/auth/xades-signature", content=document, headers={"Content-Type": "application/xml"})
    assert response.status_code == 400
    assert response.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == code


def test_xades_tampered_signature_and_stale_challenge(http, ksef):
    challenge = ksef.auth.get_challenge().challenge
    signed = _signed(challenge)
    tampered = signed.replace(f"<Nip>{CLIENT_NIP}</Nip>", "<Nip>8437326220</Nip>")
    response = http.post("/v2/auth/xades-signature", content=tampered.encode())
    assert response.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 9105
    unknown = _signed("20260101-CR-0000000000-0000000000-00")
    response = http.post("/v2/auth/xades-signature", content=unknown.encode())
    assert response.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21111
    assert http.post("/v2/auth/xades-signature", content=signed.encode()).status_code == 202


def test_invalid_xsd_content_is_21401(http, ksef):
    challenge = ksef.auth.get_challenge().challenge
    certificate, key = self_signed(nip=CLIENT_NIP)
    xml = build_auth_token_request_xml(
        challenge=challenge,
        context_identifier_type="nip",
        context_identifier_value="123",
        subject_identifier_type="certificateSubject",
    )
    response = http.post("/v2/auth/xades-signature", content=sign_xades_enveloped(xml, certificate, key).encode())
    assert response.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21401
