"""Shared steps for the conformance tests: credentials, authentication through the SDK, invoices, sessions."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from ksef_client import KsefClient
from ksef_client.models import FormCode, InvoiceQueryDateRange, InvoiceQueryFilters
from ksef_client.services.workflows import AuthCoordinator, AuthResult, OnlineSessionWorkflow

from simulator import invoicegen

OFFICE_NIP = "3692854322"
CLIENT_NIP = "7279955607"
OTHER_NIP = "8437326220"
FA3 = FormCode(system_code="FA (3)", schema_version="1-0E", value="FA")


def self_signed(nip: str | None = None, pesel: str | None = None, days: int = 365) -> tuple[str, str]:
    """A self-signed seal (NIP in organizationIdentifier) or personal (PESEL in serialNumber) certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"), x509.NameAttribute(NameOID.COMMON_NAME, "Test")]
    if nip:
        attributes += [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Firma Testowa"),
            x509.NameAttribute(x509.ObjectIdentifier("2.5.4.97"), f"VATPL-{nip}"),
        ]
    if pesel:
        attributes += [
            x509.NameAttribute(NameOID.GIVEN_NAME, "Anna"),
            x509.NameAttribute(NameOID.SURNAME, "Nowak"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, f"PNOPL-{pesel}"),
        ]
    name = x509.Name(attributes)
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return certificate.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def fingerprint(certificate_pem: str) -> str:
    certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    return certificate.fingerprint(hashes.SHA256()).hex().upper()


def token_auth(client: KsefClient, nip: str, token: str, **kwargs: Any) -> AuthResult:
    certificate = client.security.get_public_key_certificate("KsefTokenEncryption")
    return AuthCoordinator(client.auth).authenticate_with_ksef_token(
        token=token,
        public_certificate=certificate.certificate,
        context_identifier_type="nip",
        context_identifier_value=nip,
        poll_interval_seconds=0.05,
        **kwargs,
    )


def xades_auth(
    client: KsefClient, nip: str, certificate_pem: str, key_pem: str, subject: str = "certificateSubject", **kwargs: Any
) -> AuthResult:
    return AuthCoordinator(client.auth).authenticate_with_xades(
        context_identifier_type="nip",
        context_identifier_value=nip,
        subject_identifier_type=subject,
        certificate_pem=certificate_pem,
        private_key_pem=key_pem,
        poll_interval_seconds=0.05,
        **kwargs,
    )


def invoice(seller_nip: str, number: str, buyer_nip: str = OTHER_NIP, issue: datetime | None = None) -> bytes:
    rnd = random.Random(number)
    seller = invoicegen.random_company(rnd, seller_nip)
    buyer = invoicegen.random_company(rnd, buyer_nip)
    when = issue or datetime.now(UTC)
    return invoicegen.invoice_xml(
        seller=seller, buyer=buyer, number=number, issue_date=when.date(), created=when, rnd=rnd
    ).encode()


def open_session(client: KsefClient, access_token: str) -> Any:
    certificate = client.security.get_public_key_certificate("SymmetricKeyEncryption")
    return OnlineSessionWorkflow(client.sessions).open_session(
        form_code=FA3, public_certificate=certificate.certificate, access_token=access_token
    )


def filters(
    subject: str = "Subject1",
    date_type: str = "PermanentStorage",
    days: int = 60,
    restrict: bool | None = None,
    **extra: Any,
) -> InvoiceQueryFilters:
    """Filters from `days` ago until now; `extra` are further InvoiceQueryFilters fields."""
    start = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    date_range = InvoiceQueryDateRange(
        date_type=date_type, from_=start, restrict_to_permanent_storage_hwm_date=restrict
    )
    return InvoiceQueryFilters(subject_type=subject, date_range=date_range, **extra)
