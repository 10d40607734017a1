"""Signing an AuthTokenRequest with a throw-away seal, for rehearsals on the simulator only (never PROD, DEMO, TEST).

KSeF TEST (and our simulator) accept self-signed certificates for XAdES; the certificate names the client's NIP the
way a qualified seal does (organizationIdentifier VATPL-…), so the signer is the context's owner.
"""

from __future__ import annotations

from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from core.ksef.auth import sign_auth_request
from core.types import utcnow

ORGANIZATION_IDENTIFIER = x509.ObjectIdentifier("2.5.4.97")


def rehearsal_seal(nip: str, name: str) -> tuple[str, str]:
    """(certificate PEM, private key PEM) of a self-signed seal for the NIP, valid for one day."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name[:64] or nip),
            x509.NameAttribute(ORGANIZATION_IDENTIFIER, f"VATPL-{nip}"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Pieczęć testowa {nip}"),
        ]
    )
    now = utcnow()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return certificate.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def sign_with_rehearsal_seal(xml: str, *, nip: str, name: str) -> str:
    certificate_pem, key_pem = rehearsal_seal(nip, name)
    return sign_auth_request(xml, certificate_pem=certificate_pem, private_key_pem=key_pem)
