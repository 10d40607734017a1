"""Fixtures: one simulator per test session (reset before every test), SDK and httpx clients whose every response is
validated against the official OpenAPI."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from ksef_client import KsefClient, KsefClientOptions

from simulator.testing import SimAdmin, SimServer
from tests.simulator.openapi_check import ResponseValidator


@pytest.fixture(scope="session")
def response_validator() -> ResponseValidator:
    return ResponseValidator()


@pytest.fixture(scope="session")
def sim_server() -> Iterator[SimServer]:
    with SimServer() as server:
        yield server


@pytest.fixture
def sim(sim_server: SimServer) -> Iterator[SimServer]:
    """The shared server with a fresh state (keys and CA survive a reset)."""
    with SimAdmin(sim_server.url) as admin:
        admin.reset()
    yield sim_server


@pytest.fixture
def admin(sim: SimServer) -> Iterator[SimAdmin]:
    with SimAdmin(sim.url) as client:
        yield client


@pytest.fixture
def ksef(sim: SimServer, response_validator: ResponseValidator) -> Iterator[KsefClient]:
    client = KsefClient(KsefClientOptions(base_url=sim.api_url, timeout_seconds=30))
    client.http_client._client.event_hooks["response"].append(response_validator.hook)
    with client:
        yield client


@pytest.fixture
def http(sim: SimServer, response_validator: ResponseValidator) -> Iterator[httpx.Client]:
    """Raw HTTP against /v2 for what the SDK would refuse to send (malformed input, storage downloads)."""
    with httpx.Client(base_url=sim.url, timeout=30, event_hooks={"response": [response_validator.hook]}) as client:
        yield client
