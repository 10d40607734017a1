"""Cryptography the simulator needs, on `cryptography` alone (PROTOCOL.md §3).

RSA-OAEP-SHA256 for the token and the symmetric keys, AES-256-CBC/PKCS#7 for invoices and export parts, X.509 for the
MF-style encryption certificates and the simulator's own CA, and HMAC-signed JWT-like strings for access tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.padding import PKCS7
from cryptography.x509.oid import NameOID

ORGANIZATION_IDENTIFIER = x509.ObjectIdentifier("2.5.4.97")
_OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode_strict(text: str) -> bytes:
    """Standard Base64 with validation; ValueError on anything else (callers map it to 21405)."""
    if not isinstance(text, str):
        raise ValueError("not a string")
    return base64.b64decode(text.encode("ascii"), validate=True)


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_key_pem(key: Any) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


@lru_cache(maxsize=64)
def load_private_key(pem: str) -> Any:
    """Parsed once: loading validates the RSA key, which costs tens of milliseconds every time."""
    return serialization.load_pem_private_key(pem.encode("ascii"), password=None)


def certificate_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def certificate_fingerprint(der: bytes) -> str:
    """SHA-256 over the DER certificate as uppercase hex (the case KSeF uses is not specified; we compare case-free)."""
    return hashlib.sha256(der).hexdigest().upper()


def public_key_id(certificate: x509.Certificate) -> str:
    """Base64(SHA-256(DER SubjectPublicKeyInfo)), PROTOCOL.md §3.1."""
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return sha256_b64(spki)


def rsa_oaep_decrypt(private_pem: str, ciphertext: bytes) -> bytes:
    key = load_private_key(private_pem)
    return key.decrypt(ciphertext, _OAEP)


def aes_cbc_encrypt(plain: bytes, key: bytes, iv: bytes) -> bytes:
    padder = PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(padder.update(plain) + padder.finalize()) + encryptor.finalize()


def aes_cbc_decrypt(data: bytes, key: bytes, iv: bytes) -> bytes:
    """Raises ValueError on a wrong key, IV or padding."""
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def _name(common_name: str, extra: list[x509.NameAttribute] | None = None) -> x509.Name:
    return x509.Name([*(extra or []), x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def self_signed(
    key: Any, name: x509.Name, valid_from: datetime, valid_to: datetime, *, ca: bool = False
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(valid_to)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    return builder.sign(key, hashes.SHA256())


def make_mf_key(usage: str, now: datetime) -> tuple[x509.Certificate, str]:
    """An encryption certificate in the style MF publishes (CN "Ministerstwo Finansów", RSA-2048)."""
    key = new_rsa_key()
    name = _name(
        "Ministerstwo Finansów",
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Symulator KSeF"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, usage),
        ],
    )
    certificate = self_signed(key, name, now - timedelta(days=1), now + timedelta(days=730))
    return certificate, private_key_pem(key)


def make_ca(now: datetime) -> tuple[x509.Certificate, str]:
    key = new_rsa_key()
    name = _name(
        "Symulator KSeF CA",
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Symulator KSeF (nie jest KSeF)"),
        ],
    )
    certificate = self_signed(key, name, now - timedelta(days=1), now + timedelta(days=3650), ca=True)
    return certificate, private_key_pem(key)


def subject_name(
    *, nip: str | None, pesel: str | None, common_name: str, given_name: str | None = None, surname: str | None = None
) -> x509.Name:
    """A DN following the KSeF attribute rules: seals carry organizationIdentifier VATPL-<NIP>, persons serialNumber."""
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "PL")]
    if pesel:
        attributes += [
            x509.NameAttribute(NameOID.GIVEN_NAME, given_name or "Jan"),
            x509.NameAttribute(NameOID.SURNAME, surname or "Kowalski"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, f"PNOPL-{pesel}"),
        ]
    elif nip:
        attributes += [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, common_name),
            x509.NameAttribute(ORGANIZATION_IDENTIFIER, f"VATPL-{nip}"),
        ]
    return _name(common_name, attributes)


def issue_certificate(
    *,
    ca_certificate: x509.Certificate,
    ca_key_pem: str,
    subject: x509.Name,
    public_key: Any,
    serial: int,
    valid_from: datetime,
    valid_to: datetime,
    certificate_type: str,
) -> x509.Certificate:
    """A KSeF certificate: Authentication has digitalSignature, Offline has nonRepudiation (PROTOCOL.md §11)."""
    offline = certificate_type == "Offline"
    usage = x509.KeyUsage(
        digital_signature=not offline,
        content_commitment=offline,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_certificate.subject)
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(valid_from)
        .not_valid_after(valid_to)
        .add_extension(usage, critical=True)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    )
    return builder.sign(load_private_key(ca_key_pem), hashes.SHA256())


def issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True when `issuer`'s key signed `certificate` (names alone are not trusted)."""
    if certificate.issuer != issuer.subject:
        return False
    try:
        certificate.verify_directly_issued_by(issuer)
    except (InvalidSignature, ValueError, TypeError):  # a wrong key, or a key type that cannot sign certificates
        return False
    return True


def new_serial_hex() -> str:
    """A 16-hex-digit KSeF certificate serial; the first digit is non-zero so it round-trips through int()."""
    return f"{secrets.randbelow(15) + 1:X}{secrets.token_hex(8).upper()[:15]}"


def key_meets_ksef_rules(public_key: Any) -> bool:
    """RSA 2048+ or EC P-256+ (PROTOCOL.md §11, code 25010)."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return public_key.key_size >= 2048
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return public_key.curve.key_size >= 256
    return False


# --- JWT-like tokens -------------------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_jwt(claims: dict[str, Any], secret: bytes) -> str:
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64url(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    signature = hmac.new(secret, f"{header}.{payload}".encode("ascii"), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(signature)}"


def verify_jwt(token: str, secret: bytes) -> dict[str, Any] | None:
    """The claims of a token this simulator signed, or None (expiry is the caller's business: it needs the clock)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        expected = hmac.new(secret, f"{parts[0]}.{parts[1]}".encode("ascii"), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _b64url_decode(parts[2])):
            return None
        claims = json.loads(_b64url_decode(parts[1]))
    except (ValueError, UnicodeError):
        return None
    return claims if isinstance(claims, dict) else None


def storage_signature(secret: bytes, path: str, expires: int) -> str:
    """The `sig` of a pre-signed-style storage URL (UPO pages, export parts)."""
    digest = hmac.new(secret, f"{path}|{expires}".encode(), hashlib.sha256).digest()
    return _b64url(digest)
