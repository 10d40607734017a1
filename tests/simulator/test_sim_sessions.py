"""Online sessions through the SDK: three invoices (accepted, duplicate, XSD-invalid), statuses, UPO downloads."""

from __future__ import annotations

import base64
import hashlib

import httpx
import pytest
from ksef_client.exceptions import KsefApiError
from ksef_client.models import SetSessionLimitsRequest
from lxml import etree

import ksef_spec
from core.ids import validate_ksef_number
from tests.simulator.flows import CLIENT_NIP, OFFICE_NIP, invoice, open_session, token_auth, xades_auth


@pytest.fixture
def access(admin, ksef):
    seeded = admin.seed(
        OFFICE_NIP,
        "Biuro Testowe",
        [{"nip": CLIENT_NIP, "name": "Klient", "scenario": "healthy"}],
        invoices_per_client=0,
    )
    admin.settings(permanentStorageLagSeconds=0)
    return token_auth(ksef, CLIENT_NIP, seeded["clients"][0]["ksefToken"]).access_token


def _sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_session_with_accepted_duplicate_and_invalid_invoice(ksef, access):
    session = open_session(ksef, access)
    good = invoice(CLIENT_NIP, "FV/2026/01/001")
    broken = good.replace(b"<P_15>", b"<P_15>nie-liczba").replace(b"FV/2026/01/001", b"FV/2026/01/002")
    first = session.send_invoice(good).reference_number
    duplicate = session.send_invoice(good).reference_number
    invalid = session.send_invoice(broken).reference_number

    accepted = ksef.sessions.get_session_invoice_status(session.reference_number, first, access_token=access)
    assert accepted.status.code == 200
    validate_ksef_number(accepted.ksef_number)
    assert accepted.ksef_number.startswith(f"{CLIENT_NIP}-")
    assert accepted.invoice_hash == _sha(good)

    again = ksef.sessions.get_session_invoice_status(session.reference_number, duplicate, access_token=access)
    assert again.status.code == 440
    assert again.status.extensions == {
        "originalSessionReferenceNumber": session.reference_number,
        "originalKsefNumber": accepted.ksef_number,
    }
    wrong = ksef.sessions.get_session_invoice_status(session.reference_number, invalid, access_token=access)
    assert wrong.status.code == 430
    assert any("P_15" in detail for detail in wrong.status.details)

    failed = ksef.sessions.get_session_failed_invoices(session.reference_number, access_token=access)
    assert {item.reference_number for item in failed.invoices} == {duplicate, invalid}
    session.close()
    status = ksef.sessions.get_session_status(session.reference_number, access_token=access)
    assert (status.status.code, status.invoice_count, status.successful_invoice_count) == (200, 3, 1)
    listed = ksef.sessions.get_sessions(session_type="Online", access_token=access)
    assert [s.reference_number for s in listed.sessions] == [session.reference_number]


def _valid_upo(document: bytes) -> etree._Element:
    root = etree.fromstring(document)
    schema = ksef_spec.upo_schema()
    assert schema.validate(root), schema.error_log
    return root


def test_upo_by_ksef_number_reference_and_page(ksef, access, sim):
    session = open_session(ksef, access)
    reference = session.send_invoice(invoice(CLIENT_NIP, "FV/2026/01/010")).reference_number
    session.close()
    status = ksef.sessions.get_session_invoice_status(session.reference_number, reference, access_token=access)
    by_number = ksef.sessions.get_session_invoice_upo_by_ksef(
        session.reference_number, status.ksef_number, access_token=access
    )
    by_reference = ksef.sessions.get_session_invoice_upo_by_ref(
        session.reference_number, reference, access_token=access
    )
    assert by_number == by_reference
    root = _valid_upo(by_number)
    namespace = {"u": ksef_spec.UPO_NAMESPACE}
    assert root.findtext("u:Dokument/u:NumerKSeFDokumentu", namespaces=namespace) == status.ksef_number

    page = ksef.sessions.get_session_status(session.reference_number, access_token=access).upo.pages[0]
    downloaded = httpx.get(page.download_url)  # pre-signed: no token (the SDK refuses loopback URLs)
    assert downloaded.status_code == 200
    assert downloaded.headers["x-ms-meta-hash"] == _sha(downloaded.content)
    _valid_upo(downloaded.content)
    assert (
        ksef.sessions.get_session_upo(session.reference_number, page.reference_number, access_token=access)
        == downloaded.content
    )
    invoice_url = httpx.get(status.upo_download_url)
    assert invoice_url.content == by_number
    assert httpx.get(page.download_url.replace("sig=", "sig=x")).status_code == 403


def test_accepted_invoice_can_be_downloaded(ksef, access):
    session = open_session(ksef, access)
    document = invoice(CLIENT_NIP, "FV/2026/01/020")
    reference = session.send_invoice(document).reference_number
    number = ksef.sessions.get_session_invoice_status(
        session.reference_number, reference, access_token=access
    ).ksef_number
    downloaded = ksef.invoices.get_invoice_bytes(number, access_token=access)
    assert downloaded.content == document and downloaded.sha256_base64 == _sha(document)


def _send_raw(http, access, session, payload):
    return http.post(
        f"/v2/sessions/online/{session.reference_number}/invoices",
        json=payload,
        headers={"Authorization": f"Bearer {access}"},
    )


def test_size_and_hash_mismatch(ksef, access, http):
    from ksef_client.services.crypto import build_send_invoice_request

    session = open_session(ksef, access)
    data = session.encryption_data
    payload = build_send_invoice_request(invoice(CLIENT_NIP, "FV/1"), data.key, data.iv).to_dict()
    bad_size = _send_raw(http, access, session, {**payload, "invoiceSize": payload["invoiceSize"] + 1})
    assert bad_size.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21402
    bad_hash = _send_raw(http, access, session, {**payload, "encryptedInvoiceHash": _sha(b"x")})
    assert bad_hash.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21403


def test_seller_must_be_the_context_and_closed_session_refuses(ksef, access):
    session = open_session(ksef, access)
    reference = session.send_invoice(invoice(OFFICE_NIP, "FV/obcy/1")).reference_number
    status = ksef.sessions.get_session_invoice_status(session.reference_number, reference, access_token=access)
    assert status.status.code == 410
    session.close()
    with pytest.raises(KsefApiError) as error:
        session.send_invoice(invoice(CLIENT_NIP, "FV/po-zamknieciu"))
    assert error.value.response_body["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21180


def test_unknown_session_is_21173(ksef, access):
    with pytest.raises(KsefApiError) as error:
        ksef.sessions.get_session_status("20260101-SO-0000000000-0000000000-00", access_token=access)
    assert error.value.response_body["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21173


def test_empty_session_is_cancelled(ksef, access):
    session = open_session(ksef, access)
    session.close()
    status = ksef.sessions.get_session_status(session.reference_number, access_token=access)
    assert status.status.code == 440 and status.upo is None


def test_sending_needs_invoice_write(admin, ksef):
    seeded = admin.seed(
        OFFICE_NIP,
        "Biuro",
        [{"nip": CLIENT_NIP, "name": "Klient", "scenario": "rights_missing"}],
        invoices_per_client=0,
    )
    access = token_auth(ksef, CLIENT_NIP, seeded["clients"][0]["ksefToken"]).access_token
    with pytest.raises(KsefApiError) as error:
        open_session(ksef, access)
    body = error.value.response_body
    assert error.value.status_code == 403 and body["reasonCode"] == "missing-permissions"
    assert body["security"]["presentPermissions"] == ["CredentialsRead"]


def test_office_certificate_session_upo_and_invoice_limit(admin, ksef):
    seeded = admin.seed(
        OFFICE_NIP, "Biuro", [{"nip": CLIENT_NIP, "name": "Klient", "scenario": "healthy"}], invoices_per_client=0
    )
    office = seeded["office"]["certificate"]
    access = xades_auth(ksef, CLIENT_NIP, office["certificatePem"], office["privateKeyPem"]).access_token
    owner = token_auth(ksef, CLIENT_NIP, seeded["clients"][0]["ksefToken"]).access_token
    limits = ksef.limits.get_context_limits(access_token=owner).to_dict()
    limits["onlineSession"]["maxInvoices"] = 1
    ksef.testdata.change_session_limits(SetSessionLimitsRequest.from_dict(limits), access_token=owner)
    session = open_session(ksef, access)
    reference = session.send_invoice(invoice(CLIENT_NIP, "FV/biuro/1")).reference_number
    with pytest.raises(KsefApiError) as error:
        session.send_invoice(invoice(CLIENT_NIP, "FV/biuro/2"))
    assert error.value.response_body["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21155
    upo = ksef.sessions.get_session_invoice_upo_by_ref(session.reference_number, reference, access_token=access)
    root = _valid_upo(upo)
    proof = root.findtext(
        "u:Uwierzytelnienie/u:SkrotDokumentuUwierzytelniajacego", namespaces={"u": ksef_spec.UPO_NAMESPACE}
    )
    assert proof and len(proof) == 44  # XAdES route: the hash of the signed AuthTokenRequest
