"""The intake API in process (FastAPI's TestClient speaks ASGI, no socket) on a client linked to the simulator."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

import ksef_spec
from core.intake.app import create_app
from core.services.clientside import programs
from core.services.linking import credentials, links
from core.services.linking import keys as company_keys
from core.services.linking.links import LinkRequest
from core.types import AuthMethod
from tests.simulated import seed_clients

SAMPLE = (ksef_spec.SAMPLES_DIR / "fa3" / "csharp-invoice-template-fa-3.xml").read_text(encoding="utf-8")
PASSWORD = "haslo-programu-1"


def invoice(nip: str, number: str) -> bytes:
    return SAMPLE.replace("#nip#", nip).replace("#invoice_number#", number).encode()


@dataclass(frozen=True)
class Linked:
    client_id: int
    nip: str
    key: str
    other_client_id: int
    other_nip: str
    other_key: str


@pytest.fixture
def linked(sim, office) -> Linked:
    seeded = seed_clients(sim, office, ["no_invoices", "healthy"])
    keys = {}
    for name in ("no_invoices", "healthy"):
        client_id = seeded.ids[name]
        credentials.add_ksef_token(actor=office.support, client_id=client_id, token=seeded.token(name))
        assert links.connect_client(actor=office.support, client_id=client_id,
                                    request=LinkRequest(AuthMethod.ksef_token)).ok  # fmt: skip
        programs.add_program(actor=office.manager, client_id=client_id, name="ERP", password=PASSWORD)
        keys[name] = company_keys.get_company_key(actor=office.manager, client_id=client_id)
    return Linked(seeded.ids["no_invoices"], seeded.nips["no_invoices"], keys["no_invoices"], seeded.ids["healthy"],
                  seeded.nips["healthy"], keys["healthy"])  # fmt: skip


@pytest.fixture
def api() -> TestClient:
    return TestClient(create_app())


def sign_in(api: TestClient, key: str, password: str = PASSWORD) -> dict[str, str]:
    response = api.post("/v1/auth/token", json={"company_key": key, "program": "ERP", "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
