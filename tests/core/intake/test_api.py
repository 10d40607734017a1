"""The intake API over HTTP semantics (in process): status codes, error bodies, the size cap, one client's data."""

from __future__ import annotations

import base64

from core.intake.schemas import MAX_REQUEST_BYTES
from core.services.sync.engine import sync_client
from tests.clientside import invoice, send_pushed
from tests.core.intake.conftest import sign_in


def _push(api, headers, xml: bytes, **extra):
    body = {"file_name": "f.xml", "content_base64": base64.b64encode(xml).decode()}
    return api.post("/v1/invoices", json=body, headers=headers | extra)


def test_a_program_pushes_reads_its_number_and_upo_and_pulls(api, office, linked):
    headers = sign_in(api, linked.key)
    assert api.get("/v1/connection", headers=headers).json()["client_nip"] == linked.nip
    created = _push(api, headers, invoice(linked.nip, "API/1"), **{"Idempotency-Key": "a1"})
    assert created.status_code == 201 and created.json()["status"] == "queued"
    again = _push(api, headers, invoice(linked.nip, "API/1"))
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    document_id = created.json()["id"]
    not_yet = api.get(f"/v1/invoices/{document_id}/upo", headers=headers)
    assert not_yet.status_code == 404 and not_yet.json()["code"] == "not_found"
    send_pushed()
    done = api.get(f"/v1/invoices/{document_id}", headers=headers).json()
    assert done["status"] == "accepted" and done["ksef_number"].startswith(linked.nip)
    upo = api.get(f"/v1/invoices/{document_id}/upo", headers=headers)
    assert upo.status_code == 200 and upo.headers["content-type"].startswith("application/xml")
    assert done["ksef_number"].encode() in upo.content
    assert [d["id"] for d in api.get("/v1/invoices", headers=headers).json()["items"]] == [document_id]


def test_received_invoices_are_pulled_and_acknowledged(api, office, linked):
    sync_client(actor=office.support, client_id=linked.other_client_id)
    headers = sign_in(api, linked.other_key)
    page = api.get("/v1/received", params={"cursor": 0, "limit": 100}, headers=headers).json()
    ids = [item["id"] for item in page["items"]]
    assert ids and page["next_cursor"] == ids[-1]
    xml = api.get(f"/v1/received/{ids[0]}/xml", headers=headers)
    assert xml.status_code == 200 and xml.content.startswith(b"<")
    assert api.post("/v1/received/ack", json={"invoice_ids": ids}, headers=headers).json() == {"acknowledged": len(ids)}
    assert api.get("/v1/received", headers=headers).json()["items"] == []
    # The other client's program sees none of it, by any id.
    own = sign_in(api, linked.key)
    assert api.get(f"/v1/received/{ids[0]}/xml", headers=own).status_code == 404
    assert api.post("/v1/received/ack", json={"invoice_ids": ids[:1]}, headers=own).status_code == 404


def test_refusals_are_one_clear_sentence_in_the_readers_language(api, office, linked):
    assert api.get("/v1/connection").json()["code"] == "not_authenticated"
    assert api.get("/v1/connection", headers={"Authorization": "Bearer zly"}).status_code == 401
    wrong = api.post("/v1/auth/token", json={"company_key": linked.key, "program": "ERP", "password": "zle"})
    assert wrong.status_code == 401 and "klucz firmy" in wrong.json()["message"]
    headers = sign_in(api, linked.key)
    other_seller = _push(api, headers, invoice(linked.other_nip, "X/1"))
    assert other_seller.status_code == 400 and linked.nip in other_seller.json()["message"]
    english = _push(api, headers, b"<nie-xml", **{"Accept-Language": "en"})
    assert english.status_code == 400 and english.json()["code"] == "invalid"
    assert not any(ch in english.json()["message"] for ch in "ąęłńśżź")
    bad_base64 = api.post("/v1/invoices", json={"content_base64": "%%%"}, headers=headers)
    assert bad_base64.status_code == 400
    missing = api.post("/v1/invoices", json={}, headers=headers)
    assert missing.status_code == 400 and missing.json()["problems"]


def test_a_body_over_the_ksef_invoice_limit_is_refused_before_it_is_read(api, office, linked):
    headers = sign_in(api, linked.key)
    huge = b"A" * (MAX_REQUEST_BYTES + 1)
    response = api.post("/v1/invoices", content=huge, headers=headers | {"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["code"] == "too_large"


def test_the_openapi_document_is_published(api):
    document = api.get("/openapi.json").json()
    assert {"/v1/auth/token", "/v1/invoices", "/v1/received", "/v1/received/ack"} <= set(document["paths"])
    assert "HTTPBearer" in document["components"]["securitySchemes"]
