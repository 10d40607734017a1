"""Authentication through the ksef-client SDK: KSeF token, XAdES (2.0/2.1, subject and fingerprint), redeem, refresh,
auth sessions, and the failure statuses 415/450/460/480."""

from __future__ import annotations

import pytest
from ksef_client.exceptions import KsefApiError
from ksef_client.services.workflows import AuthCoordinator

from tests.simulator.flows import CLIENT_NIP, OFFICE_NIP, fingerprint, self_signed, token_auth, xades_auth


def _seed(admin, scenario="healthy", invoices=0):
    return admin.seed(
        OFFICE_NIP,
        "Biuro Testowe sp. z o.o.",
        [{"nip": CLIENT_NIP, "name": "Klient", "scenario": scenario}],
        invoices_per_client=invoices,
    )


def _code(error: KsefApiError) -> int:
    body = error.response_body
    if "exception" in body:
        return body["exception"]["exceptionDetailList"][0]["exceptionCode"]
    return body["errors"][0]["code"]


def test_token_auth_redeem_and_use(admin, ksef):
    token = _seed(admin)["clients"][0]["ksefToken"]
    assert token.split("|")[1] == f"nip-{CLIENT_NIP}"
    result = token_auth(ksef, CLIENT_NIP, token)
    limits = ksef.limits.get_context_limits(access_token=result.access_token)
    assert limits.online_session.max_invoices == 10_000
    status = ksef.auth.get_auth_status(result.reference_number, result.authentication_token)
    assert status.status.code == 200 and status.is_token_redeemed
    assert status.authentication_method_info.category.value == "Token"


def test_redeem_is_one_shot(admin, ksef):
    token = _seed(admin)["clients"][0]["ksefToken"]
    result = token_auth(ksef, CLIENT_NIP, token)
    with pytest.raises(KsefApiError) as error:
        ksef.auth.redeem_token(result.authentication_token)
    assert error.value.status_code == 400 and _code(error.value) == 21301


def test_xades_self_signed_by_subject_as_owner(ksef):
    certificate, key = self_signed(nip=CLIENT_NIP)
    result = xades_auth(ksef, CLIENT_NIP, certificate, key)
    status = ksef.auth.get_auth_status(result.reference_number, result.authentication_token)
    assert status.authentication_method_info.category.value == "XadesSignature"
    assert status.authentication_method.value == "QualifiedSeal"


def test_xades_schema_2_0_is_accepted(ksef):
    certificate, key = self_signed(nip=CLIENT_NIP)
    assert xades_auth(ksef, CLIENT_NIP, certificate, key, auth_request_schema_version="2.0").access_token


def test_xades_by_fingerprint_needs_a_grant(ksef, http):
    certificate, key = self_signed(nip="5265877635")
    with pytest.raises(RuntimeError, match="415"):
        xades_auth(ksef, CLIENT_NIP, certificate, key, subject="certificateFingerprint")
    response = http.post(
        "/v2/testdata/permissions",
        json={
            "contextIdentifier": {"type": "Nip", "value": CLIENT_NIP},
            "authorizedIdentifier": {"type": "Fingerprint", "value": fingerprint(certificate)},
            "permissions": [{"permissionType": "InvoiceRead", "description": "Dostęp odciskiem"}],
        },
    )
    assert response.status_code == 200
    result = xades_auth(ksef, CLIENT_NIP, certificate, key, subject="certificateFingerprint")
    page = ksef.invoices.query_invoice_metadata_by_date_range(
        subject_type="Subject2",
        date_type="Issue",
        date_from="2026-01-01T00:00:00Z",
        date_to="2026-02-01T00:00:00Z",
        access_token=result.access_token,
    )
    assert page.invoices == []


def test_refresh_and_revoke_current_session(admin, ksef):
    token = _seed(admin)["clients"][0]["ksefToken"]
    result = token_auth(ksef, CLIENT_NIP, token)
    refreshed = ksef.auth.refresh_access_token(result.refresh_token)
    assert refreshed.access_token.token != result.access_token
    sessions = ksef.auth.get_active_sessions(access_token=refreshed.access_token.token)
    assert [item.is_current for item in sessions.items] == [True]
    ksef.auth.revoke_current_session(result.access_token)
    with pytest.raises(KsefApiError) as error:
        ksef.auth.refresh_access_token(result.refresh_token)
    assert _code(error.value) == 21301
    status = ksef.auth.get_auth_status(result.reference_number, result.authentication_token)
    assert status.status.code == 425


def test_revoked_token_ends_450_and_refresh_fails(admin, ksef):
    seeded = _seed(admin, "token_revoked")
    with pytest.raises(RuntimeError, match=r"450.*Token unieważniony"):
        token_auth(ksef, CLIENT_NIP, seeded["clients"][0]["ksefToken"])


def test_token_in_wrong_context_ends_450(admin, ksef):
    token = _seed(admin)["clients"][0]["ksefToken"]
    with pytest.raises(RuntimeError, match="450"):
        token_auth(ksef, OFFICE_NIP, token)


def test_blocked_context_ends_480(admin, ksef, http):
    token = _seed(admin)["clients"][0]["ksefToken"]
    assert (
        http.post(
            "/v2/testdata/context/block", json={"contextIdentifier": {"type": "Nip", "value": CLIENT_NIP}}
        ).status_code
        == 200
    )
    with pytest.raises(RuntimeError, match="480"):
        token_auth(ksef, CLIENT_NIP, token)


def test_challenge_is_single_use(admin, ksef, http):
    challenge = ksef.auth.get_challenge()
    body = {
        "challenge": challenge.challenge,
        "contextIdentifier": {"type": "Nip", "value": CLIENT_NIP},
        "encryptedToken": "AAAA",
    }
    assert http.post("/v2/auth/ksef-token", json=body).status_code == 202
    second = http.post("/v2/auth/ksef-token", json=body)
    assert second.status_code == 400
    assert second.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21111


def test_rotated_key_gives_21470(admin, ksef):
    token = _seed(admin)["clients"][0]["ksefToken"]
    old = ksef.security.get_public_key_certificate("KsefTokenEncryption")
    rotated = admin.rotate_keys()
    assert old.public_key_id in rotated["retiredPublicKeyIds"]
    with pytest.raises(KsefApiError) as error:
        AuthCoordinator(ksef.auth).authenticate_with_ksef_token(
            token=token,
            public_certificate=old.certificate,
            public_key_id=old.public_key_id,
            context_identifier_type="nip",
            context_identifier_value=CLIENT_NIP,
        )
    assert _code(error.value) == 21470
    assert token_auth(ksef, CLIENT_NIP, token).access_token  # fresh keys work


@pytest.mark.parametrize(("scenario", "detail"), [("cert_expired", "Nieważny certyfikat")])
def test_expired_simulator_certificate_ends_460(admin, ksef, scenario, detail):
    certificate = _seed(admin, scenario)["clients"][0]["certificate"]
    with pytest.raises(RuntimeError, match=f"460.*{detail}"):
        xades_auth(ksef, CLIENT_NIP, certificate["certificatePem"], certificate["privateKeyPem"])


def test_expiring_certificate_still_authenticates(admin, ksef):
    certificate = _seed(admin, "cert_expiring")["clients"][0]["certificate"]
    result = xades_auth(ksef, CLIENT_NIP, certificate["certificatePem"], certificate["privateKeyPem"])
    status = ksef.auth.get_auth_status(result.reference_number, result.authentication_token)
    assert status.authentication_method.value == "InternalCertificate"


def test_revoked_and_offline_certificates_end_460(admin, ksef):
    admin.create_context(CLIENT_NIP)
    revoked = admin.create_certificate(subject_nip=CLIENT_NIP)
    admin.revoke_certificate(revoked["serialNumber"])
    with pytest.raises(RuntimeError, match=r"460.*odwołany"):
        xades_auth(ksef, CLIENT_NIP, revoked["certificatePem"], revoked["privateKeyPem"])
    offline = admin.create_certificate(subject_nip=CLIENT_NIP, certificate_type="Offline")
    with pytest.raises(RuntimeError, match="460"):
        xades_auth(ksef, CLIENT_NIP, offline["certificatePem"], offline["privateKeyPem"])


def test_self_signed_fails_when_chain_is_required(ksef):
    certificate, key = self_signed(nip=CLIENT_NIP)
    with pytest.raises(RuntimeError, match=r"460.*Niezaufany"):
        xades_auth(ksef, CLIENT_NIP, certificate, key, verify_certificate_chain=True)


def test_office_certificate_reaches_client_context_through_entity_grant(admin, ksef):
    seeded = _seed(admin)
    office = seeded["office"]["certificate"]
    result = xades_auth(ksef, CLIENT_NIP, office["certificatePem"], office["privateKeyPem"])
    assert (
        ksef.invoices.query_invoice_metadata_by_date_range(
            subject_type="Subject1",
            date_type="Invoicing",
            date_from="2026-01-01T00:00:00Z",
            date_to="2026-03-01T00:00:00Z",
            access_token=result.access_token,
        ).invoices
        == []
    )


def test_rights_missing_office_gets_415(admin, ksef):
    office = _seed(admin, "rights_missing")["office"]["certificate"]
    with pytest.raises(RuntimeError, match="415"):
        xades_auth(ksef, CLIENT_NIP, office["certificatePem"], office["privateKeyPem"])


def test_access_token_expiry_gives_401(admin, ksef, http):
    token = _seed(admin)["clients"][0]["ksefToken"]
    admin.settings(accessTokenSeconds=60)
    result = token_auth(ksef, CLIENT_NIP, token)
    admin.set_clock(120)
    response = http.get("/v2/limits/context", headers={"Authorization": f"Bearer {result.access_token}"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    refreshed = ksef.auth.refresh_access_token(result.refresh_token)
    assert ksef.limits.get_context_limits(access_token=refreshed.access_token.token)


def test_pending_status_is_100_until_ready(admin, ksef):
    token = _seed(admin)["clients"][0]["ksefToken"]
    admin.settings(authPendingSeconds=0.3)
    result = token_auth(ksef, CLIENT_NIP, token)  # the SDK polls through the 100s
    assert result.access_token


def test_deceased_person_ends_470(ksef, http):
    pesel = "90010112349"
    assert (
        http.post(
            "/v2/testdata/person",
            json={
                "nip": CLIENT_NIP,
                "pesel": pesel,
                "isBailiff": False,
                "isDeceased": True,
                "description": "Osoba zmarła",
            },
        ).status_code
        == 200
    )
    certificate, key = self_signed(pesel=pesel)
    with pytest.raises(RuntimeError, match="470"):
        xades_auth(ksef, CLIENT_NIP, certificate, key)


def test_revoking_another_auth_session(admin, ksef):
    token = _seed(admin)["clients"][0]["ksefToken"]
    first, second = token_auth(ksef, CLIENT_NIP, token), token_auth(ksef, CLIENT_NIP, token)
    listed = ksef.auth.get_active_sessions(access_token=second.access_token)
    assert {item.reference_number for item in listed.items} == {first.reference_number, second.reference_number}
    ksef.auth.revoke_session(first.reference_number, second.access_token)
    with pytest.raises(KsefApiError):
        ksef.auth.refresh_access_token(first.refresh_token)
    assert ksef.auth.refresh_access_token(second.refresh_token).access_token.token


def test_ip_policy_is_enforced_on_later_calls(admin, ksef):
    from ksef_client.models import AuthorizationPolicy

    token = _seed(admin)["clients"][0]["ksefToken"]
    allowed = token_auth(
        ksef,
        CLIENT_NIP,
        token,
        authorization_policy=AuthorizationPolicy.from_dict({"allowedIps": {"ip4Masks": ["127.0.0.0/8"]}}),
    )
    assert ksef.limits.get_context_limits(access_token=allowed.access_token)
    denied = token_auth(
        ksef,
        CLIENT_NIP,
        token,
        authorization_policy=AuthorizationPolicy.from_dict(
            {"allowedIps": {"ip4Addresses": ["10.1.2.3"], "ip4Ranges": ["10.0.0.1-10.0.0.9"]}}
        ),
    )
    with pytest.raises(KsefApiError) as error:
        ksef.limits.get_context_limits(access_token=denied.access_token)
    assert error.value.status_code == 403 and error.value.response_body["reasonCode"] == "ip-not-allowed"
