"""KSeF certificates (PROTOCOL.md §11) and how any signing certificate is judged at authentication (§4.3).

The simulator runs its own CA. Certificates it issued are "KSeF certificates" (method InternalCertificate) and are
checked against its registry: revoked -> 460, Offline type -> 460 (it cannot authenticate), expired -> 460.
Self-signed and foreign certificates are accepted as on KSeF TEST, unless `verifyCertificateChain=true`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from simulator import crypto
from simulator.errors import ApiError
from simulator.state import Certificate, Identity
from simulator.timeutil import iso

if TYPE_CHECKING:
    from simulator.runtime import Simulator

_PERSON_SERIAL = re.compile(r"(PNOPL|PESEL).*?(\d{11})")
_PERSON_NIP = re.compile(r"(TINPL|NIP).*?(\d{10})")
_SEAL_NIP = re.compile(r"(VATPL).*?(\d{10})")
VALIDITY = timedelta(days=730)  # not stated in any primary source; "commonly said to be 2 years" (PROTOCOL.md §11)
# Default quotas (PROTOCOL.md §11): NIP 300 requests / 100 active; PESEL and fingerprint 12 / 6.
DEFAULT_LIMITS = {"Nip": (300, 100), "Pesel": (12, 6), "Fingerprint": (12, 6)}


@dataclass(frozen=True)
class Judgement:
    status_code: int
    details: list[str]
    method: str
    serial: str | None


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def identity_from_certificate(certificate: x509.Certificate, der: bytes, subject_identifier_type: str) -> Identity:
    """certificateSubject: NIP/PESEL from serialNumber or organizationIdentifier; certificateFingerprint: SHA-256."""
    subject = certificate.subject
    name = _attribute(subject, NameOID.COMMON_NAME)
    fingerprint = crypto.certificate_fingerprint(der)
    if subject_identifier_type == "certificateFingerprint":
        return Identity(type="Fingerprint", value=fingerprint, fingerprint=fingerprint, name=name)
    serial = _attribute(subject, NameOID.SERIAL_NUMBER) or ""
    organization = _attribute(subject, crypto.ORGANIZATION_IDENTIFIER) or ""
    given, surname = _attribute(subject, NameOID.GIVEN_NAME), _attribute(subject, NameOID.SURNAME)
    if match := _PERSON_SERIAL.search(serial):
        return Identity(
            type="Pesel", value=match.group(2), pesel=match.group(2), name=name, given_name=given, surname=surname
        )
    if match := _PERSON_NIP.search(serial) or _SEAL_NIP.search(organization):
        return Identity(
            type="Nip", value=match.group(2), nip=match.group(2), name=name, given_name=given, surname=surname
        )
    raise ApiError(21115, "Certyfikat nie zawiera identyfikatora NIP ani PESEL (serialNumber, organizationIdentifier).")


def find_by_fingerprint(sim: Simulator, fingerprint: str) -> Certificate | None:
    return next((c for c in sim.state.certificates.values() if c.fingerprint == fingerprint.upper()), None)


def _is_offline_usage(certificate: x509.Certificate) -> bool:
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return usage.content_commitment and not usage.digital_signature


def judge(sim: Simulator, certificate: x509.Certificate, der: bytes, *, verify_chain: bool) -> Judgement:
    now = sim.now()
    record = find_by_fingerprint(sim, crypto.certificate_fingerprint(der))
    valid_from, valid_to = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    if record is not None or crypto.issued_by(certificate, sim.ca_certificate):
        method, serial = "InternalCertificate", record.serial if record else None
        if record is not None:
            valid_from, valid_to = record.valid_from, record.valid_to  # /testdata/certificates may shorten it
            if record.status == "Revoked":
                return Judgement(460, ["Certyfikat odwołany"], method, serial)
            if record.status == "Blocked":
                return Judgement(460, ["Certyfikat zawieszony"], method, serial)
        if (record is not None and record.type == "Offline") or _is_offline_usage(certificate):
            return Judgement(460, ["Niepoprawny certyfikat"], method, serial)
    else:
        organization = _attribute(certificate.subject, crypto.ORGANIZATION_IDENTIFIER)
        method, serial = ("QualifiedSeal" if organization else "QualifiedSignature"), None
        if verify_chain:  # the simulator knows no qualified trust list
            return Judgement(460, ["Niezaufany łańcuch certyfikatów"], method, serial)
    if not valid_from <= now <= valid_to:
        return Judgement(460, ["Nieważny certyfikat"], method, serial)
    if record is not None:
        record.last_use = now
    return Judgement(200, [], method, serial)


def status_of(certificate: Certificate, now: datetime) -> str:
    if certificate.status == "Active" and certificate.valid_to < now:
        return "Expired"
    return certificate.status


def owned_by(sim: Simulator, identity: Identity) -> list[Certificate]:
    keys = {(identity.type, identity.value)}
    if identity.nip:
        keys.add(("Nip", identity.nip))
    if identity.pesel:
        keys.add(("Pesel", identity.pesel))
    return [c for c in sim.state.certificates.values() if (c.subject_type, c.subject_value) in keys]


def limits_for(sim: Simulator, identity: Identity) -> tuple[int, int]:
    """(max enrollments, max active certificates), honouring /testdata/limits/subject/certificate."""
    enrollments, active = DEFAULT_LIMITS.get(identity.type, DEFAULT_LIMITS["Pesel"])
    override = sim.state.subject_limits.get(identity.type) or {}
    return int(override.get("maxEnrollments", enrollments)), int(override.get("maxCertificates", active))


def enrollment_data(identity: Identity) -> dict[str, Any]:
    """The DN the CSR must carry (GET /certificates/enrollments/data)."""
    if identity.type == "Pesel":
        return {
            "commonName": identity.name or f"{identity.given_name or 'Jan'} {identity.surname or 'Kowalski'}",
            "countryName": "PL",
            "givenName": identity.given_name or "Jan",
            "surname": identity.surname or "Kowalski",
            "serialNumber": f"PNOPL-{identity.pesel}",
        }
    if identity.type == "Nip":
        name = identity.name or f"Podmiot {identity.nip}"
        return {
            "commonName": name,
            "countryName": "PL",
            "organizationName": name,
            "organizationIdentifier": f"VATPL-{identity.nip}",
        }
    return {"commonName": identity.name or identity.value[:16], "countryName": "PL"}


ENROLLMENT_OIDS = {
    "commonName": NameOID.COMMON_NAME,
    "countryName": NameOID.COUNTRY_NAME,
    "givenName": NameOID.GIVEN_NAME,
    "surname": NameOID.SURNAME,
    "serialNumber": NameOID.SERIAL_NUMBER,
    "organizationName": NameOID.ORGANIZATION_NAME,
    "organizationIdentifier": crypto.ORGANIZATION_IDENTIFIER,
}


def store(
    sim: Simulator,
    *,
    certificate: x509.Certificate,
    serial: str,
    name: str,
    certificate_type: str,
    subject: tuple[str, str],
    private_key_pem: str | None = None,
) -> Certificate:
    der = certificate.public_bytes(crypto.serialization.Encoding.DER)
    record = Certificate(
        serial=serial,
        name=name,
        type=certificate_type,
        common_name=_attribute(certificate.subject, NameOID.COMMON_NAME) or name,
        subject_type=subject[0],
        subject_value=subject[1],
        certificate_der=der,
        fingerprint=crypto.certificate_fingerprint(der),
        valid_from=certificate.not_valid_before_utc,
        valid_to=certificate.not_valid_after_utc,
        request_date=sim.now(),
        private_key_pem=private_key_pem,
    )
    sim.state.certificates[serial] = record
    sim.touch()
    return record


def issue_with_new_key(
    sim: Simulator,
    *,
    subject_type: str,
    subject_value: str,
    common_name: str,
    certificate_type: str,
    valid_from: datetime,
    valid_to: datetime,
) -> tuple[Certificate, str]:
    """Admin shortcut: a key pair and a CA-signed certificate for a NIP or PESEL; returns (record, key PEM)."""
    key = crypto.new_rsa_key()
    subject = crypto.subject_name(
        nip=subject_value if subject_type == "Nip" else None,
        pesel=subject_value if subject_type == "Pesel" else None,
        common_name=common_name,
    )
    serial = crypto.new_serial_hex()
    certificate = crypto.issue_certificate(
        ca_certificate=sim.ca_certificate,
        ca_key_pem=sim.state.ca_key_pem,
        subject=subject,
        public_key=key.public_key(),
        serial=int(serial, 16),
        valid_from=valid_from,
        valid_to=valid_to,
        certificate_type=certificate_type,
    )
    key_pem = crypto.private_key_pem(key)
    record = store(
        sim,
        certificate=certificate,
        serial=serial,
        name=common_name,
        certificate_type=certificate_type,
        subject=(subject_type, subject_value),
        private_key_pem=key_pem,
    )
    return record, key_pem


def admin_view(record: Certificate) -> dict[str, Any]:
    """The certificate object of the admin API contract."""
    certificate = x509.load_der_x509_certificate(record.certificate_der)
    return {
        "certificatePem": crypto.certificate_pem(certificate),
        "privateKeyPem": record.private_key_pem,
        "serialNumber": record.serial,
        "fingerprint": record.fingerprint,
        "validFrom": iso(record.valid_from),
        "validTo": iso(record.valid_to),
        "certificateType": record.type,
    }
