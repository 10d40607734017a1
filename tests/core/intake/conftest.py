"""The intake API in process (FastAPI's TestClient speaks ASGI, no socket); the clients come from tests/clientside."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from core.intake.app import create_app
from tests.clientside import PASSWORD


@pytest.fixture
def api() -> TestClient:
    return TestClient(create_app())


def sign_in(api: TestClient, key: str, password: str = PASSWORD) -> dict[str, str]:
    response = api.post("/v1/auth/token", json={"company_key": key, "program": "ERP", "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
