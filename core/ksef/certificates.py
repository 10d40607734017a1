"""KSeF certificates of an identity (PROTOCOL.md §11): limits, enrollment data, a CSR made here, the enrollment,
its status, retrieval, query and revocation — through the SDK's certificates client and CSR helpers.

Every call needs an access token of an XAdES authentication (a certificate or a signature): KSeF refuses enrollment
to a token-authenticated caller (25001/25002). The private key of a CSR never leaves the caller.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from ksef_client.openapi_models import (
    EnrollCertificateRequest,
    QueryCertificatesRequest,
    RetrieveCertificatesRequest,
    RevokeCertificateRequest,
)
from ksef_client.services.csr import generate_csr_ec, generate_csr_rsa

from core.ksef.gateway import KsefGateway

KEY_TYPES = ("EC", "RSA")  # EC P-256 (KSeF's recommendation) or RSA 2048
REVOCATION_REASONS = ("Unspecified", "Superseded", "KeyCompromise")


@dataclass(frozen=True)
class Limits:
    can_request: bool
    enrollment_remaining: int
    enrollment_limit: int
    certificate_remaining: int
    certificate_limit: int


@dataclass(frozen=True)
class Csr:
    csr_base64: str
    private_key_pem: str
    public_key_der: bytes


@dataclass(frozen=True)
class EnrollmentStatus:
    code: int
    description: str
    serial_number: str


@dataclass(frozen=True)
class Retrieved:
    serial_number: str
    name: str
    certificate_type: str
    certificate_pem: str


def limits(gateway: KsefGateway, access_token: str) -> Limits:
    found = gateway.call(lambda: gateway.client.certificates.get_limits(access_token))
    return Limits(
        can_request=bool(found.can_request),
        enrollment_remaining=found.enrollment.remaining,
        enrollment_limit=found.enrollment.limit,
        certificate_remaining=found.certificate.remaining,
        certificate_limit=found.certificate.limit,
    )


def enrollment_data(gateway: KsefGateway, access_token: str) -> dict[str, Any]:
    """The DN attributes KSeF wants in the CSR, exactly (25003 otherwise), in the API's camelCase."""
    found = gateway.call(lambda: gateway.client.certificates.get_enrollment_data(access_token))
    return {key: value for key, value in found.to_dict().items() if value}


def make_csr(data: dict[str, Any], key_type: str = "EC") -> Csr:
    """A PKCS#10 request with the enrollment data as its subject, and its new private key (PEM, PKCS#8)."""
    made = generate_csr_rsa(data, key_size=2048) if key_type == "RSA" else generate_csr_ec(data)
    key = serialization.load_der_private_key(base64.b64decode(made.private_key_base64), password=None)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return Csr(made.csr_base64, pem, public)


def send_enrollment(gateway: KsefGateway, access_token: str, *, name: str, certificate_type: str, csr: str) -> str:
    request = EnrollCertificateRequest.from_dict(
        {"certificateName": name, "certificateType": certificate_type, "csr": csr}
    )
    sent = gateway.call(lambda: gateway.client.certificates.send_enrollment(request, access_token=access_token))
    return str(sent.reference_number)


def enrollment_status(gateway: KsefGateway, access_token: str, reference_number: str) -> EnrollmentStatus:
    found = gateway.call(
        lambda: gateway.client.certificates.get_enrollment_status(reference_number, access_token=access_token)
    )
    return EnrollmentStatus(
        code=int(found.status.code),
        description=str(found.status.description or ""),
        serial_number=str(found.certificate_serial_number or ""),
    )


def retrieve(gateway: KsefGateway, access_token: str, serial_numbers: list[str]) -> list[Retrieved]:
    request = RetrieveCertificatesRequest.from_dict({"certificateSerialNumbers": serial_numbers})
    found = gateway.call(lambda: gateway.client.certificates.retrieve_certificate(request, access_token=access_token))
    result = []
    for item in found.certificates:
        certificate = x509.load_der_x509_certificate(base64.b64decode(item.certificate))
        result.append(
            Retrieved(
                serial_number=str(item.certificate_serial_number),
                name=str(item.certificate_name),
                certificate_type=str(getattr(item.certificate_type, "value", item.certificate_type)),
                certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
            )
        )
    return result


def public_key_der(certificate_pem: str) -> bytes:
    certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    return certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def query(gateway: KsefGateway, access_token: str, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every certificate of the identity matching `filters` (PROTOCOL.md §11), all pages."""
    request = QueryCertificatesRequest.from_dict(filters or {})
    found: list[dict[str, Any]] = []
    offset = 0
    while True:
        with gateway.guard():
            page = gateway.client.certificates.query_certificates(
                request, page_size=50, page_offset=offset, access_token=access_token
            )
        found.extend(item.to_dict() for item in page.certificates)
        if not page.has_more:
            return found
        offset += 1


def revoke(gateway: KsefGateway, access_token: str, serial_number: str, reason: str) -> None:
    request = RevokeCertificateRequest.from_dict({"revocationReason": reason})
    gateway.call(
        lambda: gateway.client.certificates.revoke_certificate(serial_number, request, access_token=access_token)
    )
