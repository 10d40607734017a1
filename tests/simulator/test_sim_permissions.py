"""The permission store end to end: grants make authentication possible, revocations make it fail (415), the
accounting-office chain (entity grant with canDelegate, then indirect grants), the queries, KSeF tokens and
certificates enrolled from a CSR."""

from __future__ import annotations

import pytest
from ksef_client.exceptions import KsefApiError
from ksef_client.models import (
    EnrollCertificateRequest,
    EntityPermission,
    EntityPermissionsGrantRequest,
    EntityPermissionsQueryRequest,
    GenerateTokenRequest,
    IndirectPermissionsGrantRequest,
    PersonalPermissionsQueryRequest,
    PersonPermissionsQueryRequest,
    QueryCertificatesRequest,
    RetrieveCertificatesRequest,
    RevokeCertificateRequest,
)
from ksef_client.services.csr import generate_csr_rsa

from tests.simulator.flows import CLIENT_NIP, OFFICE_NIP, self_signed, token_auth, xades_auth

PESEL = "90010112349"


def _grant_office(ksef, client_access: str, can_delegate: bool = True) -> str:
    request = EntityPermissionsGrantRequest.from_dict(
        {
            "subjectIdentifier": {"type": "Nip", "value": OFFICE_NIP},
            "permissions": [
                {"type": "InvoiceRead", "canDelegate": can_delegate},
                {"type": "InvoiceWrite", "canDelegate": can_delegate},
            ],
            "description": "Biuro rachunkowe prowadzi księgi",
            "subjectDetails": {"fullName": "Biuro Rachunkowe Przykład"},
        }
    )
    reference = ksef.permissions.grant_entity(request, access_token=client_access).reference_number
    status = ksef.permissions.get_operation_status(reference, access_token=client_access)
    assert status.status.code == 200
    return reference


def test_grant_enables_and_revoke_disables_office_authentication(ksef):
    owner_cert, owner_key = self_signed(nip=CLIENT_NIP)
    client_access = xades_auth(ksef, CLIENT_NIP, owner_cert, owner_key).access_token
    office_cert, office_key = self_signed(nip=OFFICE_NIP)
    with pytest.raises(RuntimeError, match="415"):
        xades_auth(ksef, CLIENT_NIP, office_cert, office_key)

    _grant_office(ksef, client_access)
    office = xades_auth(ksef, CLIENT_NIP, office_cert, office_key)
    assert office.access_token

    received = ksef.permissions.query_entities_grants(
        EntityPermissionsQueryRequest(), access_token=xades_auth(ksef, OFFICE_NIP, office_cert, office_key).access_token
    )
    assert {(p.context_identifier.value, p.permission_scope.value) for p in received.permissions} == {
        (CLIENT_NIP, "InvoiceRead"),
        (CLIENT_NIP, "InvoiceWrite"),
    }

    granted = ksef.permissions.query_persons_grants(
        PersonPermissionsQueryRequest.from_dict({"queryType": "PermissionsInCurrentContext"}),
        access_token=client_access,
    )
    assert granted.permissions == []  # entity grants are not person grants
    personal = ksef.permissions.query_personal_grants(
        PersonalPermissionsQueryRequest(), access_token=office.access_token
    )
    for permission in personal.permissions:
        reference = ksef.permissions.revoke_common_permission(permission.id, access_token=client_access)
        assert (
            ksef.permissions.get_operation_status(reference.reference_number, access_token=client_access).status.code
            == 200
        )
    with pytest.raises(RuntimeError, match="415"):
        xades_auth(ksef, CLIENT_NIP, office_cert, office_key)


def test_indirect_grant_for_an_office_employee(ksef):
    owner_cert, owner_key = self_signed(nip=CLIENT_NIP)
    _grant_office(ksef, xades_auth(ksef, CLIENT_NIP, owner_cert, owner_key).access_token)
    office_cert, office_key = self_signed(nip=OFFICE_NIP)
    office_access = xades_auth(ksef, OFFICE_NIP, office_cert, office_key).access_token
    employee_cert, employee_key = self_signed(pesel=PESEL)
    with pytest.raises(RuntimeError, match="415"):
        xades_auth(ksef, CLIENT_NIP, employee_cert, employee_key)
    request = IndirectPermissionsGrantRequest.from_dict(
        {
            "subjectIdentifier": {"type": "Pesel", "value": PESEL},
            "targetIdentifier": {"type": "Nip", "value": CLIENT_NIP},
            "permissions": ["InvoiceRead"],
            "description": "Księgowa obsługuje klienta",
            "subjectDetails": {
                "subjectDetailsType": "PersonByIdentifier",
                "personById": {"firstName": "Anna", "lastName": "Nowak"},
            },
        }
    )
    reference = ksef.permissions.grant_indirect(request, access_token=office_access).reference_number
    assert ksef.permissions.get_operation_status(reference, access_token=office_access).status.code == 200
    employee = xades_auth(ksef, CLIENT_NIP, employee_cert, employee_key)
    with pytest.raises(KsefApiError) as error:  # InvoiceRead only: sending is forbidden
        ksef.sessions.get_sessions(session_type="Online", access_token=employee.access_token)
    assert error.value.status_code == 403
    listed = ksef.permissions.query_persons_grants(
        PersonPermissionsQueryRequest.from_dict({"queryType": "PermissionsGrantedInCurrentContext"}),
        access_token=office_access,
    )
    assert [(p.authorized_identifier.value, p.target_identifier.value) for p in listed.permissions] == [
        (PESEL, CLIENT_NIP)
    ]


def test_indirect_grant_without_delegation_fails(ksef):
    owner_cert, owner_key = self_signed(nip=CLIENT_NIP)
    _grant_office(ksef, xades_auth(ksef, CLIENT_NIP, owner_cert, owner_key).access_token, can_delegate=False)
    office_cert, office_key = self_signed(nip=OFFICE_NIP)
    office_access = xades_auth(ksef, OFFICE_NIP, office_cert, office_key).access_token
    request = IndirectPermissionsGrantRequest.from_dict(
        {
            "subjectIdentifier": {"type": "Pesel", "value": PESEL},
            "targetIdentifier": {"type": "Nip", "value": CLIENT_NIP},
            "permissions": ["InvoiceRead"],
            "description": "Księgowa obsługuje klienta",
            "subjectDetails": {
                "subjectDetailsType": "PersonByIdentifier",
                "personById": {"firstName": "Anna", "lastName": "Nowak"},
            },
        }
    )
    reference = ksef.permissions.grant_indirect(request, access_token=office_access).reference_number
    assert ksef.permissions.get_operation_status(reference, access_token=office_access).status.code == 420


def test_ksef_token_generated_and_used(ksef):
    owner_cert, owner_key = self_signed(nip=CLIENT_NIP)
    owner = xades_auth(ksef, CLIENT_NIP, owner_cert, owner_key).access_token
    generated = ksef.tokens.generate_token(
        GenerateTokenRequest(permissions=["InvoiceRead"], description="Token do odczytu faktur"), access_token=owner
    )
    result = token_auth(ksef, CLIENT_NIP, generated.token)
    assert ksef.tokens.get_token_status(generated.reference_number, access_token=owner).status.value == "Active"
    listed = ksef.tokens.list_tokens(access_token=owner)
    assert [t.reference_number for t in listed.tokens] == [generated.reference_number]
    with pytest.raises(KsefApiError) as error:  # a token cannot carry rights its creator lacks
        ksef.tokens.generate_token(
            GenerateTokenRequest(permissions=["InvoiceWrite"], description="Eskalacja"),
            access_token=result.access_token,
        )
    assert error.value.response_body["exception"]["exceptionDetailList"][0]["exceptionCode"] == 26001
    ksef.tokens.revoke_token(generated.reference_number, access_token=owner)
    with pytest.raises(RuntimeError, match="450"):
        token_auth(ksef, CLIENT_NIP, generated.token)
    with pytest.raises(KsefApiError) as error:
        ksef.auth.refresh_access_token(result.refresh_token)
    assert error.value.response_body["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21301


def test_certificate_enrolled_from_csr_and_used(ksef):
    seal_cert, seal_key = self_signed(nip=OFFICE_NIP)
    access = xades_auth(ksef, OFFICE_NIP, seal_cert, seal_key).access_token
    limits = ksef.certificates.get_limits(access)
    assert limits.can_request and limits.certificate.limit == 100
    data = ksef.certificates.get_enrollment_data(access)
    csr = generate_csr_rsa(data.to_dict())
    enrollment = ksef.certificates.send_enrollment(
        EnrollCertificateRequest(
            certificate_name="Pieczec biura", certificate_type="Authentication", csr=csr.csr_base64
        ),
        access_token=access,
    )
    status = ksef.certificates.get_enrollment_status(enrollment.reference_number, access_token=access)
    assert status.status.code == 200
    serial = status.certificate_serial_number
    retrieved = ksef.certificates.retrieve_certificate(
        RetrieveCertificatesRequest(certificate_serial_numbers=[serial]), access_token=access
    ).certificates[0]
    pem = "-----BEGIN CERTIFICATE-----\n" + retrieved.certificate + "\n-----END CERTIFICATE-----\n"
    key_pem = "-----BEGIN PRIVATE KEY-----\n" + csr.private_key_base64 + "\n-----END PRIVATE KEY-----\n"
    used = xades_auth(ksef, OFFICE_NIP, pem, key_pem)
    status = ksef.auth.get_auth_status(used.reference_number, used.authentication_token)
    assert status.authentication_method.value == "InternalCertificate"
    found = ksef.certificates.query_certificates(QueryCertificatesRequest(), access_token=access).certificates
    assert [(c.certificate_serial_number, c.status.value) for c in found] == [(serial, "Active")]
    ksef.certificates.revoke_certificate(
        serial, RevokeCertificateRequest(revocation_reason="Superseded"), access_token=access
    )
    with pytest.raises(RuntimeError, match="460"):
        xades_auth(ksef, OFFICE_NIP, pem, key_pem)


def test_enrollment_refuses_token_auth_and_wrong_dn(admin, ksef):
    seeded = admin.seed(
        OFFICE_NIP, "Biuro", [{"nip": CLIENT_NIP, "name": "Klient", "scenario": "healthy"}], invoices_per_client=0
    )
    access = token_auth(ksef, CLIENT_NIP, seeded["clients"][0]["ksefToken"]).access_token
    with pytest.raises(KsefApiError) as error:
        ksef.certificates.get_enrollment_data(access)
    assert error.value.response_body["exception"]["exceptionDetailList"][0]["exceptionCode"] == 25001
    seal_cert, seal_key = self_signed(nip=OFFICE_NIP)
    access = xades_auth(ksef, OFFICE_NIP, seal_cert, seal_key).access_token
    csr = generate_csr_rsa({"commonName": "Ktoś inny", "countryName": "PL"})
    with pytest.raises(KsefApiError) as error:
        ksef.certificates.send_enrollment(
            EnrollCertificateRequest(
                certificate_name="Obcy certyfikat", certificate_type="Authentication", csr=csr.csr_base64
            ),
            access_token=access,
        )
    assert error.value.response_body["exception"]["exceptionDetailList"][0]["exceptionCode"] == 25003


def test_entity_permission_model_round_trip():
    assert EntityPermission(type="InvoiceRead", can_delegate=True).to_dict() == {
        "type": "InvoiceRead",
        "canDelegate": True,
    }


def test_all_partners_indirect_grant_and_person_linked_to_nip(ksef, http):
    owner_cert, owner_key = self_signed(nip=CLIENT_NIP)
    _grant_office(ksef, xades_auth(ksef, CLIENT_NIP, owner_cert, owner_key).access_token)
    office_cert, office_key = self_signed(nip=OFFICE_NIP)
    office_access = xades_auth(ksef, OFFICE_NIP, office_cert, office_key).access_token
    request = IndirectPermissionsGrantRequest.from_dict(
        {
            "subjectIdentifier": {"type": "Pesel", "value": PESEL},
            "targetIdentifier": {"type": "AllPartners"},
            "permissions": ["InvoiceRead", "InvoiceWrite"],
            "description": "Księgowa wszystkich klientów",
            "subjectDetails": {
                "subjectDetailsType": "PersonByIdentifier",
                "personById": {"firstName": "Anna", "lastName": "Nowak"},
            },
        }
    )
    ksef.permissions.grant_indirect(request, access_token=office_access)
    employee_cert, employee_key = self_signed(pesel=PESEL)
    employee = xades_auth(ksef, CLIENT_NIP, employee_cert, employee_key)
    assert ksef.sessions.get_sessions(session_type="Online", access_token=employee.access_token).sessions == []
    # A PESEL linked to a NIP by /testdata/person owns that NIP's context.
    assert (
        http.post(
            "/v2/testdata/person",
            json={"nip": "5265877635", "pesel": PESEL, "isBailiff": False, "description": "Właściciel JDG"},
        ).status_code
        == 200
    )
    assert xades_auth(ksef, "5265877635", employee_cert, employee_key).access_token
    again = http.post(
        "/v2/testdata/person",
        json={"nip": "5265877635", "pesel": PESEL, "isBailiff": False, "description": "Właściciel JDG"},
    )
    assert again.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 30001


def test_token_list_continuation_paging(admin, ksef):
    owner_cert, owner_key = self_signed(nip=CLIENT_NIP)
    owner = xades_auth(ksef, CLIENT_NIP, owner_cert, owner_key).access_token
    for index in range(12):
        admin.create_token(CLIENT_NIP, ["InvoiceRead"], f"Token numer {index}")
    first = ksef.tokens.list_tokens(access_token=owner, page_size=10)
    second = ksef.tokens.list_tokens(access_token=owner, page_size=10, continuation_token=first.continuation_token)
    assert (len(first.tokens), len(second.tokens), second.continuation_token) == (10, 2, None)
    assert not {t.reference_number for t in first.tokens} & {t.reference_number for t in second.tokens}
    with pytest.raises(KsefApiError) as error:
        ksef.tokens.list_tokens(access_token=owner, continuation_token="nie-nasz-token")
    assert error.value.response_body["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21418
