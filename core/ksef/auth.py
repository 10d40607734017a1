"""Authentication into a client's context (PROTOCOL.md §4): challenge → token or XAdES → status → redeem.

Steps are timed through `on_step` so the self-test can show them. Secrets (the KSeF token, the private key, the
returned access and refresh tokens) exist here only in local variables and the returned AuthTokens, whose repr hides
them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ksef_client.services.auth import (
    build_auth_token_request_xml,
    build_ksef_token_auth_request,
    encrypt_ksef_token,
)
from ksef_client.services.xades import sign_xades_enveloped

from core.ksef.errors import KsefFailure, auth_status_failure
from core.ksef.gateway import KsefGateway, parse_ksef_datetime
from core.texts import Text
from core.types import ProblemClass

StepCallback = Callable[[str, float], None]
AUTH_POLL_TIMEOUT_SECONDS = 60.0
CHALLENGE_LIFETIME = timedelta(minutes=10)
AUTH_TOKEN_REQUEST_NAMESPACE_VERSION = "2.1"


@dataclass(frozen=True)
class AuthTokens:
    access_token: str = field(repr=False)
    access_valid_until: datetime
    refresh_token: str = field(repr=False)
    refresh_valid_until: datetime
    reference_number: str


@dataclass(frozen=True)
class SignatureChallenge:
    """An unsigned AuthTokenRequest for a person to sign outside the console."""

    challenge: str
    xml: str
    expires_at: datetime


def _step(on_step: StepCallback | None, name: str, started: float) -> None:
    if on_step is not None:
        on_step(name, (time.perf_counter() - started) * 1000)


def token_context_nip(token: str) -> str | None:
    """The NIP a KSeF token is bound to, when the token has the documented shape `ref|nip-<NIP>|secret`."""
    parts = token.strip().split("|")
    if len(parts) != 3:
        return None
    kind, _, value = parts[1].partition("-")
    if kind.lower() == "nip" and len(value) == 10 and value.isdigit():
        return value
    if kind.lower() == "internalid" and len(value) >= 10:
        return value[:10]
    return None


# PROTOCOL.md §8: `<tokenReferenceNumber>|<contextType>-<contextValue>|<secret>`, at most 160 characters, the
# reference number being `YYYYMMDD-XX-HHHHHHHHHH-HHHHHHHHHH-HH` (36 characters) and the secret hex (64 in the example).
KSEF_TOKEN_MAX = 160
_KSEF_TOKEN = re.compile(
    r"\d{8}-[A-Z0-9]{2}-[0-9A-F]{10}-[0-9A-F]{10}-[0-9A-F]{2}"
    r"\|(?:nip|internalid|nipvatue|peppolid)-[A-Za-z0-9-]{1,40}"
    r"\|[0-9A-Fa-f]{32,}",
    re.IGNORECASE,
)


def has_ksef_token_shape(token: str) -> bool:
    """True when `token` is shaped like a token KSeF issues (anything else is refused before it is stored)."""
    return len(token) <= KSEF_TOKEN_MAX and _KSEF_TOKEN.fullmatch(token) is not None


def authenticate_with_token(gateway: KsefGateway, *, token: str, on_step: StepCallback | None = None) -> AuthTokens:
    return gateway.with_fresh_keys(lambda: _authenticate_with_token(gateway, token, on_step))


def _authenticate_with_token(gateway: KsefGateway, token: str, on_step: StepCallback | None) -> AuthTokens:
    started = time.perf_counter()
    certificate, key_id = gateway.public_key("KsefTokenEncryption")
    _step(on_step, "public_keys", started)
    started = time.perf_counter()
    challenge = gateway.call(gateway.client.auth.get_challenge)
    _step(on_step, "challenge", started)
    started = time.perf_counter()
    encrypted = encrypt_ksef_token(public_certificate=certificate, token=token, timestamp_ms=challenge.timestamp_ms)
    request = build_ksef_token_auth_request(
        challenge=challenge.challenge,
        context_identifier_type="Nip",
        context_identifier_value=gateway.context_nip,
        encrypted_token_base64=encrypted,
        public_key_id=key_id or None,
    )
    init = gateway.call(lambda: gateway.client.auth.submit_ksef_token_auth(request))
    return _finish(gateway, init.reference_number, init.authentication_token.token, started, on_step)


def authenticate_with_certificate(
    gateway: KsefGateway,
    *,
    certificate_pem: str,
    private_key_pem: str,
    subject_type: str = "certificateSubject",
    on_step: StepCallback | None = None,
) -> AuthTokens:
    started = time.perf_counter()
    challenge = gateway.call(gateway.client.auth.get_challenge)
    _step(on_step, "challenge", started)
    xml = build_auth_token_request_xml(
        challenge=challenge.challenge,
        context_identifier_type="Nip",
        context_identifier_value=gateway.context_nip,
        subject_identifier_type=subject_type,
        schema_version=AUTH_TOKEN_REQUEST_NAMESPACE_VERSION,
    )
    try:
        signed = sign_auth_request(xml, certificate_pem=certificate_pem, private_key_pem=private_key_pem)
    except Exception as error:
        raise KsefFailure(
            ProblemClass.invalid_credentials, Text("ksef.sign_failed"),
            details={"error": type(error).__name__},
        ) from None  # fmt: skip
    return submit_signed_request(gateway, signed_xml=signed, on_step=on_step)


def sign_auth_request(xml: str, *, certificate_pem: str, private_key_pem: str) -> str:
    """XAdES-BES enveloped signature of an AuthTokenRequest (the SDK's helper)."""
    signed: str = sign_xades_enveloped(xml, certificate_pem, private_key_pem)
    return signed


def signature_challenge(gateway: KsefGateway, *, subject_type: str = "certificateSubject") -> SignatureChallenge:
    """Qualified signature, seal or Trusted Profile: the XML the person signs outside (gov.pl or their software)."""
    challenge = gateway.call(gateway.client.auth.get_challenge)
    xml = build_auth_token_request_xml(
        challenge=challenge.challenge,
        context_identifier_type="Nip",
        context_identifier_value=gateway.context_nip,
        subject_identifier_type=subject_type,
        schema_version=AUTH_TOKEN_REQUEST_NAMESPACE_VERSION,
    )
    issued = datetime.fromtimestamp(challenge.timestamp_ms / 1000, tz=UTC)
    return SignatureChallenge(challenge=challenge.challenge, xml=xml, expires_at=issued + CHALLENGE_LIFETIME)


def submit_signed_request(gateway: KsefGateway, *, signed_xml: str, on_step: StepCallback | None = None) -> AuthTokens:
    started = time.perf_counter()
    init = gateway.call(lambda: gateway.client.auth.submit_xades_auth_request(signed_xml))
    if init is None:
        raise KsefFailure(ProblemClass.internal, Text("ksef.auth_no_reference"))
    return _finish(gateway, init.reference_number, init.authentication_token.token, started, on_step)


def _finish(
    gateway: KsefGateway, reference: str, authentication_token: str, started: float, on_step: StepCallback | None
) -> AuthTokens:
    _step(on_step, "auth", started)
    started = time.perf_counter()
    _wait_for_status(gateway, reference, authentication_token)
    tokens = gateway.call(lambda: gateway.client.auth.redeem_token(authentication_token))
    _step(on_step, "redeem", started)
    access_until = parse_ksef_datetime(tokens.access_token.valid_until)
    refresh_until = parse_ksef_datetime(tokens.refresh_token.valid_until)
    assert access_until is not None and refresh_until is not None
    return AuthTokens(
        access_token=tokens.access_token.token,
        access_valid_until=access_until,
        refresh_token=tokens.refresh_token.token,
        refresh_valid_until=refresh_until,
        reference_number=reference,
    )


def _wait_for_status(gateway: KsefGateway, reference: str, authentication_token: str) -> None:
    deadline = time.monotonic() + AUTH_POLL_TIMEOUT_SECONDS
    delay = 0.1
    while True:
        status = gateway.call(lambda: gateway.client.auth.get_auth_status(reference, authentication_token)).status
        if status.code == 200:
            return
        if status.code != 100:
            raise auth_status_failure(status.code, status.description or "", list(status.details or []), reference)
        if time.monotonic() > deadline:
            raise KsefFailure(
                ProblemClass.ksef_unavailable,
                Text("ksef.auth_timeout"),
                reference_number=reference,
            )
        time.sleep(delay)
        delay = min(delay * 2, 1.0)


def refresh_access(gateway: KsefGateway, *, refresh_token: str) -> tuple[str, datetime]:
    response = gateway.call(lambda: gateway.client.auth.refresh_access_token(refresh_token))
    valid_until = parse_ksef_datetime(response.access_token.valid_until)
    assert valid_until is not None
    return response.access_token.token, valid_until
