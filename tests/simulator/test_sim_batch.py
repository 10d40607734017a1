"""Batch sessions through the SDK's models and batch helpers: open with declared parts, upload to pre-signed URLs,
close, per-invoice results (430 inside a good package), session UPO, the session list and the context limits."""

from __future__ import annotations

import time

import httpx
import pytest
from ksef_client.exceptions import KsefApiError
from ksef_client.models import OpenBatchSessionRequest
from ksef_client.services.batch import encrypt_batch_parts
from ksef_client.services.crypto import build_encryption_data
from ksef_client.utils.zip_utils import build_zip
from lxml import etree

import ksef_spec
from core.ids import validate_ksef_number
from tests.simulator.flows import CLIENT_NIP, FA3, OFFICE_NIP, invoice, token_auth


@pytest.fixture
def access(admin, ksef):
    seeded = admin.seed(
        OFFICE_NIP, "Biuro Testowe", [{"nip": CLIENT_NIP, "name": "Klient", "scenario": "healthy"}],
        invoices_per_client=0,
    )  # fmt: skip
    admin.settings(permanentStorageLagSeconds=0)
    return token_auth(ksef, CLIENT_NIP, seeded["clients"][0]["ksefToken"]).access_token


def _open(ksef, access, files: dict[str, bytes], part_size: int):
    certificate = ksef.security.get_public_key_certificate("SymmetricKeyEncryption")
    encryption = build_encryption_data(certificate.certificate)
    parts, info = encrypt_batch_parts(build_zip(files), encryption.key, encryption.iv, max_part_size=part_size)
    opened = ksef.sessions.open_batch_session(
        OpenBatchSessionRequest(form_code=FA3, batch_file=info, encryption=encryption.encryption_info),
        access_token=access,
    )
    return opened, parts


def _upload(opened, parts) -> None:
    for request in opened.part_upload_requests:
        answer = httpx.request(  # pre-signed: no token (the SDK refuses loopback URLs)
            request.method, request.url, headers=request.headers, content=parts[request.ordinal_number - 1]
        )
        assert answer.status_code == 201, answer.text


def _processed(ksef, access, reference: str):
    """The session's status once KSeF has judged the package (150 while it works on it)."""
    for _ in range(200):
        status = ksef.sessions.get_session_status(reference, access_token=access)
        if status.status.code != 150:
            return status
        time.sleep(0.05)
    raise AssertionError("the package was not processed")


def _code(error: KsefApiError) -> int:
    return error.response_body["exception"]["exceptionDetailList"][0]["exceptionCode"]


def test_batch_with_an_invalid_invoice_inside_a_good_package(ksef, access):
    good = invoice(CLIENT_NIP, "FV/B/1")
    broken = invoice(CLIENT_NIP, "FV/B/3").replace(b"<P_15>", b"<P_15>nie-liczba")
    files = {"a.xml": good, "b.xml": invoice(CLIENT_NIP, "FV/B/2"), "c.xml": broken}
    opened, parts = _open(ksef, access, files, part_size=1500)
    assert len(parts) >= 2 and len(opened.part_upload_requests) == len(parts)
    assert opened.reference_number[9:11] == "SB"
    _upload(opened, parts)
    ksef.sessions.close_batch_session(opened.reference_number, access_token=access)

    status = _processed(ksef, access, opened.reference_number)
    assert (status.status.code, status.invoice_count, status.successful_invoice_count) == (200, 3, 2)
    listed = ksef.sessions.get_session_invoices(opened.reference_number, access_token=access).invoices
    by_file = {item.invoice_file_name: item for item in listed}
    assert by_file["c.xml"].status.code == 430 and by_file["c.xml"].ksef_number is None
    for name in ("a.xml", "b.xml"):
        assert by_file[name].status.code == 200
        validate_ksef_number(by_file[name].ksef_number)
    failed = ksef.sessions.get_session_failed_invoices(opened.reference_number, access_token=access).invoices
    assert [item.invoice_file_name for item in failed] == ["c.xml"]
    upo = ksef.sessions.get_session_invoice_upo_by_ksef(
        opened.reference_number, by_file["a.xml"].ksef_number, access_token=access
    )
    page = httpx.get(status.upo.pages[0].download_url)
    for document in (upo, page.content):
        assert ksef_spec.upo_schema().validate(etree.fromstring(document))
    assert page.content.count(b"<Dokument>") == 2
    sessions = ksef.sessions.get_sessions(session_type="Batch", access_token=access).sessions
    assert [s.reference_number for s in sessions] == [opened.reference_number]
    assert ksef.sessions.get_sessions(session_type="Online", access_token=access).sessions == []


def test_close_refuses_a_missing_or_resized_part_and_uploads_need_the_signature(ksef, access):
    files = {f"{n}.xml": invoice(CLIENT_NIP, f"FV/M/{n}") for n in range(3)}
    opened, parts = _open(ksef, access, files, part_size=2000)
    first = opened.part_upload_requests[0]
    assert httpx.put(first.url.replace("sig=", "sig=x"), content=parts[0]).status_code == 403
    assert httpx.put(first.url, headers=first.headers, content=parts[0]).status_code == 201
    with pytest.raises(KsefApiError) as missing:
        ksef.sessions.close_batch_session(opened.reference_number, access_token=access)
    assert _code(missing.value) == 21205
    for request in opened.part_upload_requests[1:]:
        httpx.put(request.url, headers=request.headers, content=parts[request.ordinal_number - 1] + b"x" * 16)
    with pytest.raises(KsefApiError) as resized:
        ksef.sessions.close_batch_session(opened.reference_number, access_token=access)
    assert _code(resized.value) == 21157
    _upload(opened, parts)
    ksef.sessions.close_batch_session(opened.reference_number, access_token=access)
    with pytest.raises(KsefApiError) as closed:
        ksef.sessions.close_batch_session(opened.reference_number, access_token=access)
    assert _code(closed.value) == 21180
    status = _processed(ksef, access, opened.reference_number)
    assert (status.status.code, status.successful_invoice_count) == (200, 3)


def test_a_package_of_only_invalid_invoices_ends_445_and_limits_are_enforced(ksef, access, http):
    broken = invoice(CLIENT_NIP, "FV/X/1").replace(b"<P_15>", b"<P_15>x")
    opened, parts = _open(ksef, access, {"x.xml": broken}, part_size=10**8)
    _upload(opened, parts)
    ksef.sessions.close_batch_session(opened.reference_number, access_token=access)
    status = _processed(ksef, access, opened.reference_number)
    assert status.status.code == 445 and status.upo is None

    headers = {"Authorization": f"Bearer {access}"}
    online = {"maxInvoiceSizeInMB": 1, "maxInvoiceWithAttachmentSizeInMB": 3, "maxInvoices": 10_000}
    limits = {"onlineSession": online, "batchSession": {**online, "maxInvoices": 1}}
    assert http.post("/v2/testdata/limits/context/session", json=limits, headers=headers).is_success
    assert http.get("/v2/limits/context", headers=headers).json()["batchSession"]["maxInvoices"] == 1
    files = {"1.xml": invoice(CLIENT_NIP, "FV/L/1"), "2.xml": invoice(CLIENT_NIP, "FV/L/2")}
    opened, parts = _open(ksef, access, files, part_size=10**8)
    _upload(opened, parts)
    ksef.sessions.close_batch_session(opened.reference_number, access_token=access)
    assert _processed(ksef, access, opened.reference_number).status.code == 420
