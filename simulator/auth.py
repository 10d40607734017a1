"""Authentication (PROTOCOL.md §4): challenge, KSeF token and XAdES routes, status, redeem, refresh, auth sessions.

The verdict of an authentication (200/415/450/460/480) is decided when it starts and revealed after
`authPendingSeconds`; until then the status is 100. Access tokens carry the permissions computed at redeem or refresh
time, so an access token keeps working until `exp` even if grants change (as KSeF documents).
"""

from __future__ import annotations

import ipaddress
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from simulator import certificates, crypto
from simulator.api import Call, endpoint, json_response
from simulator.errors import ApiError, Forbidden, Gone, Unauthorized
from simulator.permissions import effective_permissions
from simulator.runtime import Simulator
from simulator.state import AuthOperation, Identity
from simulator.timeutil import iso, iso_or_none
from simulator.xades import read_signed_request

AUTH_TOKEN_SECONDS = 600  # the temporary authenticationToken; the contract gives no number, the challenge lifetime fits
RETENTION = timedelta(days=7)  # GET /auth/{ref} answers 410 afterwards
AUTH_TOKEN, ACCESS_TOKEN, REFRESH_TOKEN = "AuthenticationToken", "ContextToken", "RefreshToken"

STATUS_DESCRIPTIONS = {
    100: "Uwierzytelnianie w toku",
    200: "Uwierzytelnianie zakończone sukcesem",
    415: "Uwierzytelnianie zakończone niepowodzeniem",
    425: "Uwierzytelnienie unieważnione",
    450: "Uwierzytelnianie zakończone niepowodzeniem z powodu błędnego tokenu",
    460: "Uwierzytelnianie zakończone niepowodzeniem z powodu błędu certyfikatu",
    470: "Uwierzytelnianie zakończone niepowodzeniem",
    480: "Uwierzytelnienie zablokowane",
}
BLOCKED_DETAIL = (
    "Podejrzenie incydentu bezpieczeństwa. Skontaktuj się z Ministerstwem Finansów przez formularz zgłoszeniowy."
)
METHOD_NAMES = {
    "Token": "Token KSeF",
    "InternalCertificate": "Certyfikat KSeF",
    "QualifiedSignature": "Podpis kwalifikowany",
    "QualifiedSeal": "Pieczęć kwalifikowana",
}


@dataclass(frozen=True)
class Principal:
    token_type: str
    operation: AuthOperation
    permissions: tuple[str, ...]

    @property
    def context_nip(self) -> str:
        return self.operation.context_value

    @property
    def identity(self) -> Identity:
        return self.operation.identity


def principal_from_request(sim: Simulator, request: Request) -> Principal | None:
    """The verified bearer token, None without one; Unauthorized for a bad, expired or orphaned token."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Nieprawidłowy nagłówek Authorization.")
    claims = crypto.verify_jwt(token.strip(), sim.state.secret)
    if claims is None:
        raise Unauthorized("Nieprawidłowy token.")
    if sim.now().timestamp() >= float(claims.get("exp", 0)):
        raise Unauthorized("Token wygasł.")
    operation = sim.state.auth_operations.get(str(claims.get("arn")))
    if operation is None:
        raise Unauthorized("Nieznana operacja uwierzytelnienia.")
    permissions = tuple(json.loads(claims.get("per", "[]")))
    return Principal(str(claims.get("typ")), operation, permissions)


def check_ip_policy(principal: Principal, client_ip: str) -> None:
    """authorizationPolicy.allowedIps is enforced on every later use of the token (403 ip-not-allowed)."""
    policy = principal.operation.ip_policy
    if not policy or not any(policy.values()):
        return
    try:
        address = ipaddress.IPv4Address(client_ip)
        allowed = address in {ipaddress.IPv4Address(ip) for ip in policy.get("ip4Addresses") or []}
        for item in policy.get("ip4Ranges") or []:
            low, _, high = item.partition("-")
            allowed |= ipaddress.IPv4Address(low) <= address <= ipaddress.IPv4Address(high)
        for item in policy.get("ip4Masks") or []:
            allowed |= address in ipaddress.ip_network(item, strict=False)
    except ValueError:  # the policy passed the schema patterns; an odd client address is simply not allowed
        allowed = False
    if not allowed:
        raise Forbidden("ip-not-allowed", {"clientIp": client_ip})


def _issue(
    sim: Simulator, operation: AuthOperation, token_type: str, seconds: float, permissions: list[str] | None = None
) -> dict[str, str]:
    now = sim.now()
    valid_until = now + timedelta(seconds=seconds)
    claims: dict[str, Any] = {
        "iss": "ksef-simulator",
        "typ": token_type,
        "arn": operation.reference_number,
        "cit": operation.context_type,
        "civ": operation.context_value,
        "aum": operation.method,
        "iat": int(now.timestamp()),
        "exp": int(valid_until.timestamp()),
        "jti": secrets.token_hex(8),
    }
    if permissions is not None:
        claims["per"] = json.dumps(permissions)  # a JSON string, as the claim parsers of the official clients expect
    if operation.ip_policy:
        claims["ipp"] = json.dumps(operation.ip_policy)
    return {"token": crypto.sign_jwt(claims, sim.state.secret), "validUntil": iso(valid_until)}


def _start(sim: Simulator, call: Call, operation: AuthOperation) -> Response:
    sim.state.auth_operations[operation.reference_number] = operation
    sim.touch()
    token = _issue(sim, operation, AUTH_TOKEN, AUTH_TOKEN_SECONDS)
    return json_response({"referenceNumber": operation.reference_number, "authenticationToken": token}, 202)


def _final_verdict(sim: Simulator, identity: Identity, context_type: str, context_value: str) -> tuple[int, list[str]]:
    """480 for a blocked context, 470 for a deceased person, 415 without any permission there, otherwise 200."""
    context = sim.state.contexts.get(context_value)
    if context is not None and context.blocked:
        return 480, [BLOCKED_DETAIL]
    if identity.pesel and any(p.pesel == identity.pesel and p.is_deceased for p in sim.state.persons.values()):
        return 470, ["Próba wykorzystania metod autoryzacyjnych osoby zmarłej"]
    if context_type != "Nip" or not effective_permissions(sim, identity, context_value):
        return 415, ["Brak przypisanych uprawnień"]
    return 200, []


def _new_operation(sim: Simulator, call: Call, **fields: Any) -> AuthOperation:
    now = sim.now()
    return AuthOperation(
        reference_number=sim.reference_number("AU"),
        start_date=now,
        client_ip=call.client_ip,
        ready_at=now + timedelta(seconds=sim.state.settings.auth_pending_seconds),
        **fields,
    )


@endpoint("POST", "/auth/challenge")
async def challenge(call: Call) -> Response:
    issued = call.sim.new_challenge(call.client_ip)
    return json_response(
        {
            "challenge": issued.value,
            "timestamp": iso(issued.timestamp),
            "timestampMs": issued.timestamp_ms,
            "clientIp": issued.client_ip,
        }
    )


def _token_verdict(sim: Simulator, body: dict[str, Any], timestamp_ms: int) -> tuple[int, list[str], Any]:
    key = sim.key_for("KsefTokenEncryption", body.get("publicKeyId"))
    try:
        encrypted = crypto.b64decode_strict(body["encryptedToken"])
    except ValueError:
        raise ApiError(21405, "encryptedToken: wartość nie jest poprawnym Base64.") from None
    try:
        plain = crypto.rsa_oaep_decrypt(key.private_key_pem, encrypted)
    except ValueError:
        return 450, ["Nieprawidłowe szyfrowanie tokena"], None
    try:
        token_text, _, stamp = plain.decode("utf-8").rpartition("|")
    except UnicodeDecodeError:
        return 450, ["Nieprawidłowe kodowanie tokena"], None
    if not token_text or not stamp.isdigit():
        return 450, ["Nieprawidłowe kodowanie tokena"], None
    if int(stamp) != timestamp_ms:
        return 450, ["Nieprawidłowy czas tokena"], None
    token = next((t for t in sim.state.tokens.values() if secrets.compare_digest(t.secret, token_text)), None)
    if token is None:
        return 450, ["Nieprawidłowy token"], None
    if token.status in ("Revoked", "Revoking"):
        return 450, ["Token unieważniony"], token
    if token.status != "Active":
        return 450, ["Token nieaktywny"], token
    context = body["contextIdentifier"]
    if (context["type"], context["value"]) != (token.context_type, token.context_value):
        return 450, [f"Token nie może być użyty w kontekście {context['type']}:{context['value']}"], token
    blocked = sim.state.contexts.get(token.context_value)
    if blocked is not None and blocked.blocked:
        return 480, [BLOCKED_DETAIL], token
    token.last_use = sim.now()
    return 200, [], token


@endpoint("POST", "/auth/ksef-token")
async def ksef_token(call: Call) -> Response:
    sim = call.sim
    body = await call.json()
    issued = sim.take_challenge(body["challenge"])
    code, details, token = _token_verdict(sim, body, issued.timestamp_ms)
    context = body["contextIdentifier"]
    identity = (
        Identity(
            type=token.author_type,
            value=token.author_value,
            nip=token.author_value if token.author_type == "Nip" else None,
        )
        if token is not None
        else Identity(type="Nip", value=context["value"])
    )
    operation = _new_operation(
        sim,
        call,
        method="Token",
        category="Token",
        context_type=context["type"],
        context_value=context["value"],
        identity=identity,
        status_code=code,
        status_details=details,
        token_reference=token.reference_number if token is not None else None,
        ip_policy=(body.get("authorizationPolicy") or {}).get("allowedIps"),
    )
    return _start(sim, call, operation)


@endpoint("POST", "/auth/xades-signature")
async def xades_signature(call: Call) -> Response:
    sim = call.sim
    signed = read_signed_request(await call.raw_body())
    issued = sim.take_challenge(signed.challenge)
    del issued  # only its validity matters for the XAdES route
    identity = certificates.identity_from_certificate(
        signed.certificate, signed.certificate_der, signed.subject_identifier_type
    )
    if signed.context_type == "NipVatUe" and identity.type != "Fingerprint":
        raise ApiError(21117, "Kontekst NipVatUe wymaga identyfikacji odciskiem certyfikatu.")
    verify_chain = call.request.query_params.get("verifyCertificateChain", "").lower() == "true"
    judged = certificates.judge(sim, signed.certificate, signed.certificate_der, verify_chain=verify_chain)
    code, details = judged.status_code, judged.details
    if code == 200:
        code, details = _final_verdict(sim, identity, signed.context_type, signed.context_value)
        if code == 200 and signed.context_type == "Nip":
            sim.context(signed.context_value)
    operation = _new_operation(
        sim,
        call,
        method=judged.method,
        category="XadesSignature",
        context_type=signed.context_type,
        context_value=signed.context_value,
        identity=identity,
        status_code=code,
        status_details=details,
        certificate_serial=judged.serial,
        auth_document_hash=signed.document_hash,
        ip_policy=signed.ip_policy,
    )
    return _start(sim, call, operation)


def status_payload(sim: Simulator, operation: AuthOperation, current: str | None = None) -> dict[str, Any]:
    code, details = operation.status_code, operation.status_details
    if sim.now() < operation.ready_at:
        code, details = 100, []
    elif operation.revoked:
        code, details = 425, ["Uwierzytelnienie i powiązane refresh tokeny zostały unieważnione przez użytkownika"]
    status: dict[str, Any] = {"code": code, "description": STATUS_DESCRIPTIONS.get(code, "Nieznany błąd")}
    if details:
        status["details"] = details
    payload: dict[str, Any] = {
        "startDate": iso(operation.start_date),
        "authenticationMethod": operation.method,
        "authenticationMethodInfo": {
            "category": operation.category,
            "code": operation.method,
            "displayName": METHOD_NAMES.get(operation.method, operation.method),
        },
        "status": status,
        "isTokenRedeemed": operation.redeemed,
        "lastTokenRefreshDate": iso_or_none(operation.last_refresh),
        "refreshTokenValidUntil": iso_or_none(operation.refresh_valid_until),
    }
    if current is not None:
        payload["referenceNumber"] = operation.reference_number
        payload["isCurrent"] = operation.reference_number == current
    return payload


@endpoint("GET", "/auth/{referenceNumber}", tokens=(AUTH_TOKEN,))
async def auth_status(call: Call) -> Response:
    principal = call.require_principal()
    reference = call.path_reference()
    operation = call.sim.state.auth_operations.get(reference)
    if operation is None or operation.reference_number != principal.operation.reference_number:
        raise ApiError(21304, f"Operacja uwierzytelniania o numerze referencyjnym {reference} nie została znaleziona.")
    if call.now - operation.start_date > RETENTION:
        raise Gone(f"Operacja uwierzytelniania {reference} nie jest już dostępna.")
    return json_response(status_payload(call.sim, operation))


def _permissions_now(sim: Simulator, operation: AuthOperation) -> list[str]:
    if operation.token_reference:
        return sorted(sim.state.tokens[operation.token_reference].permissions)
    return effective_permissions(sim, operation.identity, operation.context_value)


def _token_revoked(sim: Simulator, operation: AuthOperation) -> bool:
    token = sim.state.tokens.get(operation.token_reference or "")
    return token is not None and token.status in ("Revoked", "Revoking")


@endpoint("POST", "/auth/token/redeem", tokens=(AUTH_TOKEN,))
async def redeem(call: Call) -> Response:
    sim, operation = call.sim, call.require_principal().operation
    reference = operation.reference_number
    if operation.redeemed:
        raise ApiError(21301, f"Tokeny dla operacji uwierzytelniania {reference} zostały już pobrane.")
    code = status_payload(sim, operation)["status"]["code"]
    if code != 200:
        raise ApiError(21301, f"Status uwierzytelniania ({code}) nie pozwala na pobranie tokenów.")
    if _token_revoked(sim, operation):
        raise ApiError(21301, "Token KSeF został unieważniony.")
    operation.redeemed = True
    settings = sim.state.settings
    operation.refresh_valid_until = sim.now() + timedelta(seconds=settings.refresh_token_seconds)
    sim.touch()
    return json_response(
        {
            "accessToken": _issue(
                sim, operation, ACCESS_TOKEN, settings.access_token_seconds, _permissions_now(sim, operation)
            ),
            "refreshToken": _issue(sim, operation, REFRESH_TOKEN, settings.refresh_token_seconds),
        }
    )


@endpoint("POST", "/auth/token/refresh", tokens=(REFRESH_TOKEN,))
async def refresh(call: Call) -> Response:
    sim, operation = call.sim, call.require_principal().operation
    if operation.revoked:
        raise ApiError(21301, "Status uwierzytelniania (425) nie pozwala na odświeżenie tokenu dostępowego.")
    if _token_revoked(sim, operation):
        raise ApiError(21301, "Token KSeF został unieważniony.")
    operation.last_refresh = sim.now()
    sim.touch()
    seconds = float(sim.state.settings.access_token_seconds)
    if operation.refresh_valid_until is not None:  # an access token never outlives its refresh token
        seconds = min(seconds, max(1.0, (operation.refresh_valid_until - sim.now()).total_seconds()))
    return json_response(
        {"accessToken": _issue(sim, operation, ACCESS_TOKEN, seconds, _permissions_now(sim, operation))}
    )
