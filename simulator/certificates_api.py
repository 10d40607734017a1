"""HTTP side of KSeF certificates: limits, enrollment data, CSR enrollment, status, retrieve, revoke, query."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from starlette.responses import Response

from simulator import certificates, crypto
from simulator.api import Call, empty_response, endpoint, json_response, offset_page
from simulator.errors import ApiError, Forbidden, Gone
from simulator.permissions import record_operation
from simulator.state import Certificate, OperationStatus
from simulator.timeutil import iso, iso_or_none, parse_datetime

ENROLLMENT_RETENTION = timedelta(days=30)
_HASHES = (hashes.SHA1, hashes.SHA256, hashes.SHA384, hashes.SHA512)
ENROLLMENT_STATUS = {
    100: "Wniosek przyjęty do realizacji",
    200: "Wniosek obsłużony (certyfikat wygenerowany)",
    400: "Wniosek odrzucony",
}


def _xades_only(call: Call, code: int) -> None:
    if call.require_principal().operation.category != "XadesSignature":
        raise ApiError(code, "Uwierzytelnienie tokenem KSeF nie pozwala na tę operację.")


def _enrollments(call: Call) -> list[OperationStatus]:
    identity = call.require_principal().identity
    marker = f"{identity.type}:{identity.value}"
    return [
        op
        for op in call.sim.state.operations.values()
        if op.certificate_serial is not None and marker in op.details[:1]
    ]


@endpoint("GET", "/certificates/limits")
async def limits(call: Call) -> Response:
    identity = call.require_principal().identity
    max_enrollments, max_active = certificates.limits_for(call.sim, identity)
    active = [c for c in certificates.owned_by(call.sim, identity) if certificates.status_of(c, call.now) == "Active"]
    used = len(_enrollments(call))
    enrollment_left, certificate_left = max(0, max_enrollments - used), max(0, max_active - len(active))
    return json_response(
        {
            "canRequest": enrollment_left > 0 and certificate_left > 0,
            "enrollment": {"remaining": enrollment_left, "limit": max_enrollments},
            "certificate": {"remaining": certificate_left, "limit": max_active},
        }
    )


@endpoint("GET", "/certificates/enrollments/data")
async def enrollment_data(call: Call) -> Response:
    _xades_only(call, 25001)
    return json_response(certificates.enrollment_data(call.require_principal().identity))


def _load_csr(text: str) -> x509.CertificateSigningRequest:
    try:
        csr = x509.load_der_x509_csr(crypto.b64decode_strict(text))
        valid = csr.is_signature_valid
    except ValueError:
        raise ApiError(25004, "CSR nie jest poprawnym żądaniem PKCS#10 (DER, Base64).") from None
    if not valid:
        raise ApiError(25004, "Podpis CSR jest nieprawidłowy.")
    if not crypto.key_meets_ksef_rules(csr.public_key()):
        raise ApiError(25010, "Wymagany klucz RSA 2048 bitów lub EC P-256.")
    if not isinstance(csr.signature_hash_algorithm, _HASHES):
        raise ApiError(25011, "Dozwolone skróty podpisu: SHA-1, SHA-256, SHA-384, SHA-512.")
    return csr


def _check_dn(csr: x509.CertificateSigningRequest, expected: dict[str, Any]) -> None:
    for attribute, value in expected.items():
        found = [str(a.value) for a in csr.subject.get_attributes_for_oid(certificates.ENROLLMENT_OIDS[attribute])]
        if found != [value]:
            raise ApiError(25003, f"Atrybut {attribute} w CSR musi mieć wartość {value!r}.")


@endpoint("POST", "/certificates/enrollments")
async def enroll(call: Call) -> Response:
    sim, principal = call.sim, call.require_principal()
    _xades_only(call, 25002)
    body = await call.json()
    identity = principal.identity
    csr = _load_csr(body["csr"])
    _check_dn(csr, certificates.enrollment_data(identity))
    max_enrollments, max_active = certificates.limits_for(sim, identity)
    if len(_enrollments(call)) >= max_enrollments:
        raise ApiError(25006)
    active = [c for c in certificates.owned_by(sim, identity) if certificates.status_of(c, sim.now()) == "Active"]
    if len(active) >= max_active:
        raise ApiError(25007)
    try:
        valid_from = parse_datetime(body["validFrom"]) if body.get("validFrom") else sim.now()
    except ValueError:
        raise ApiError(21405, "validFrom: niepoprawna data.") from None
    serial = crypto.new_serial_hex()
    issued = crypto.issue_certificate(
        ca_certificate=sim.ca_certificate,
        ca_key_pem=sim.state.ca_key_pem,
        subject=csr.subject,
        public_key=csr.public_key(),
        serial=int(serial, 16),
        valid_from=valid_from,
        valid_to=valid_from + certificates.VALIDITY,
        certificate_type=body["certificateType"],
    )
    certificates.store(
        sim,
        certificate=issued,
        serial=serial,
        name=body["certificateName"],
        certificate_type=body["certificateType"],
        subject=(identity.type, identity.value),
    )
    # The enrollment is processed at once; the owner marker in details scopes status reads and quotas.
    operation = record_operation(sim, principal.context_nip, 200, [f"{identity.type}:{identity.value}"], infix="CE")
    operation.status_description = ENROLLMENT_STATUS[200]
    operation.certificate_serial = serial
    return json_response({"referenceNumber": operation.reference_number, "timestamp": iso(operation.created)}, 202)


@endpoint("GET", "/certificates/enrollments/{referenceNumber}")
async def enrollment_status(call: Call) -> Response:
    reference = call.path_reference()
    operation = next((op for op in _enrollments(call) if op.reference_number == reference), None)
    if operation is None:
        raise ApiError(25005)
    if call.now - operation.created > ENROLLMENT_RETENTION:
        raise Gone(f"Wniosek {reference} nie jest już dostępny.")
    return json_response(
        {
            "requestDate": iso(operation.created),
            "status": {"code": operation.status_code, "description": operation.status_description},
            "certificateSerialNumber": operation.certificate_serial,
        }
    )


def _own(call: Call, serial: str) -> Certificate | None:
    record = call.sim.state.certificates.get(serial)
    if record is None or record not in certificates.owned_by(call.sim, call.require_principal().identity):
        return None
    return record


@endpoint("POST", "/certificates/retrieve")
async def retrieve(call: Call) -> Response:
    body = await call.json()
    found = [record for serial in body["certificateSerialNumbers"] if (record := _own(call, serial)) is not None]
    return json_response(
        {
            "certificates": [
                {
                    "certificate": crypto.b64(r.certificate_der),
                    "certificateName": r.name,
                    "certificateSerialNumber": r.serial,
                    "certificateType": r.type,
                }
                for r in found
            ]
        }
    )


@endpoint("POST", "/certificates/{certificateSerialNumber}/revoke")
async def revoke(call: Call) -> Response:
    principal = call.require_principal()
    if principal.operation.category == "Token":
        raise Forbidden("auth-method-not-allowed", {"authenticationMethodCategory": "Token"})
    body = await call.json()
    record = _own(call, call.params["certificateSerialNumber"])
    if record is None:
        raise ApiError(25008)
    if certificates.status_of(record, call.now) != "Active":
        raise ApiError(25009)
    record.status = "Revoked"
    record.revocation_reason = body.get("revocationReason") or "Unspecified"
    call.sim.touch()
    return empty_response(204)


def _matches(record: Certificate, filters: dict[str, Any], call: Call) -> bool:
    if filters.get("certificateSerialNumber") and record.serial != filters["certificateSerialNumber"]:
        return False
    if filters.get("name") and filters["name"].lower() not in record.name.lower():
        return False
    if filters.get("type") and record.type != filters["type"]:
        return False
    if filters.get("status") and certificates.status_of(record, call.now) != filters["status"]:
        return False
    if filters.get("expiresAfter"):
        try:
            return record.valid_to > parse_datetime(filters["expiresAfter"])
        except ValueError:
            raise ApiError(21405, "expiresAfter: niepoprawna data.") from None
    return True


@endpoint("POST", "/certificates/query")
async def query(call: Call) -> Response:
    filters = await call.json()
    owned = sorted(
        certificates.owned_by(call.sim, call.require_principal().identity), key=lambda r: r.request_date, reverse=True
    )
    matching = [r for r in owned if _matches(r, filters, call)]
    page, more = offset_page(call, matching, 50)
    return json_response(
        {
            "certificates": [
                {
                    "certificateSerialNumber": r.serial,
                    "name": r.name,
                    "type": r.type,
                    "commonName": r.common_name,
                    "status": certificates.status_of(r, call.now),
                    "subjectIdentifier": {"type": r.subject_type, "value": r.subject_value},
                    "validFrom": iso(r.valid_from),
                    "validTo": iso(r.valid_to),
                    "lastUseDate": iso_or_none(r.last_use),
                    "requestDate": iso(r.request_date),
                }
                for r in page
            ],
            "hasMore": more,
        }
    )
