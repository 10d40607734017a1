"""Reading KSeF certificates and their keys: PEM or DER plus a key, or PKCS#12 with a password.

Each way a file can be wrong has its own error with a catalogue message (DESIGN.md §3 B.5). The private key leaves this
module only as a PEM string for `core.vault.seal`; it is never logged or shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from core.errors import InvalidInput
from core.texts import Text
from core.types import CertificateType, utcnow

ORGANIZATION_IDENTIFIER = x509.ObjectIdentifier("2.5.4.97")
_NIP_IN_SERIAL = re.compile(r"(?:TINPL|NIP).*?(\d{10})")
_PESEL_IN_SERIAL = re.compile(r"(?:PNOPL|PESEL).*?(\d{11})")
_NIP_IN_ORGANIZATION = re.compile(r"VATPL.*?(\d{10})")


class CertificateFileError(InvalidInput):
    pass


class NotACertificate(CertificateFileError):
    pass


class WrongPassword(CertificateFileError):
    pass


class KeyMismatch(CertificateFileError):
    pass


class MissingPrivateKey(CertificateFileError):
    pass


class CertificateExpired(CertificateFileError):
    pass


class OfflineCertificateForAuthentication(CertificateFileError):
    pass


@dataclass(frozen=True)
class CertificateInfo:
    certificate_pem: str
    subject: str
    common_name: str
    serial_number: str
    fingerprint: str  # SHA-256 of the DER, uppercase hex
    valid_from: datetime
    valid_to: datetime
    certificate_type: CertificateType
    subject_nip: str | None
    subject_pesel: str | None
    issuer: str

    @property
    def subject_identifier(self) -> str:
        return self.subject_nip or self.subject_pesel or self.fingerprint

    def expired(self, now: datetime | None = None) -> bool:
        return self.valid_to < (now or utcnow())


def _attributes(name: x509.Name, oid: x509.ObjectIdentifier) -> list[str]:
    return [str(a.value) for a in name.get_attributes_for_oid(oid)]


def _certificate_type(certificate: x509.Certificate) -> CertificateType:
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return CertificateType.Authentication
    # PROTOCOL.md §11: Authentication = Digital Signature; Offline = Non-Repudiation only.
    if usage.content_commitment and not usage.digital_signature:
        return CertificateType.Offline
    return CertificateType.Authentication


def describe(certificate: x509.Certificate) -> CertificateInfo:
    subject = certificate.subject
    serials = _attributes(subject, NameOID.SERIAL_NUMBER)
    organisation = _attributes(subject, ORGANIZATION_IDENTIFIER)
    nip = next((m[1] for s in serials if (m := _NIP_IN_SERIAL.search(s))), None)
    nip = nip or next((m[1] for s in organisation if (m := _NIP_IN_ORGANIZATION.search(s))), None)
    pesel = next((m[1] for s in serials if (m := _PESEL_IN_SERIAL.search(s))), None)
    common_names = _attributes(subject, NameOID.COMMON_NAME)
    return CertificateInfo(
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        subject=subject.rfc4514_string(),
        common_name=common_names[0] if common_names else "",
        serial_number=f"{certificate.serial_number:X}",
        fingerprint=certificate.fingerprint(hashes.SHA256()).hex().upper(),
        valid_from=certificate.not_valid_before_utc,
        valid_to=certificate.not_valid_after_utc,
        certificate_type=_certificate_type(certificate),
        subject_nip=nip,
        subject_pesel=pesel,
        issuer=certificate.issuer.rfc4514_string(),
    )


def parse_certificate(data: bytes) -> x509.Certificate:
    data = data.strip()
    try:
        if data.startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise NotACertificate(Text("certificate_file.not_x509")) from None


def _load_key(data: bytes, password: str | None) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    secret = password.encode() if password else None
    data = data.strip()
    try:
        loader = (
            serialization.load_pem_private_key if data.startswith(b"-----BEGIN") else serialization.load_der_private_key
        )
        key = loader(data, password=secret)
    except TypeError:
        if secret is None:
            raise WrongPassword(Text("certificate_file.key_encrypted")) from None
        raise WrongPassword(Text("certificate_file.key_not_encrypted")) from None
    except ValueError:
        if secret is not None:
            raise WrongPassword(Text("certificate_file.key_wrong_password")) from None
        raise CertificateFileError(Text("certificate_file.not_a_key")) from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise CertificateFileError(Text("certificate_file.key_type"))
    return key


def _check_pair(certificate: x509.Certificate, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> None:
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    mine = key.public_key().public_bytes(serialization.Encoding.DER, public)
    theirs = certificate.public_key().public_bytes(serialization.Encoding.DER, public)
    if mine != theirs:
        raise KeyMismatch(Text("certificate_file.key_mismatch"))


def _key_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def load_bundle(
    *,
    certificate: bytes | None = None,
    private_key: bytes | None = None,
    pkcs12_data: bytes | None = None,
    password: str | None = None,
    for_authentication: bool = True,
    refuse_expired: bool = True,
) -> tuple[CertificateInfo, str]:
    """Return the certificate's description and its private key as unencrypted PKCS#8 PEM (to be sealed)."""
    if pkcs12_data is not None and (certificate is not None or private_key is not None):
        raise CertificateFileError(Text("certificate_file.both_formats"))  # never silently pick one of them
    if pkcs12_data is not None:
        try:
            key, cert, _chain = pkcs12.load_key_and_certificates(pkcs12_data, password.encode() if password else None)
        except ValueError as error:
            if "password" in str(error).lower() or "mac" in str(error).lower():
                raise WrongPassword(Text("certificate_file.p12_wrong_password")) from None
            raise NotACertificate(Text("certificate_file.not_p12")) from None
        if cert is None:
            raise NotACertificate(Text("certificate_file.p12_no_certificate"))
        if key is None:
            raise MissingPrivateKey(Text("certificate_file.p12_no_key"))
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise CertificateFileError(Text("certificate_file.key_type"))
        parsed, loaded_key = cert, key
    else:
        if certificate is None:
            raise NotACertificate(Text("certificate_file.choose_certificate"))
        if private_key is None:
            raise MissingPrivateKey(Text("certificate_file.choose_key"))
        parsed = parse_certificate(certificate)
        loaded_key = _load_key(private_key, password)
    _check_pair(parsed, loaded_key)
    info = describe(parsed)
    if refuse_expired and info.expired():
        raise CertificateExpired(Text("certificate_file.expired", valid_to=f"{info.valid_to:%d.%m.%Y}"))
    if for_authentication and info.certificate_type == CertificateType.Offline:
        raise OfflineCertificateForAuthentication(Text("certificate_file.offline_for_authentication"))
    return info, _key_pem(loaded_key)
