"""The simulator over real HTTP for the tests (a pytest plugin of tests/conftest.py): one server per session, a fresh
state per test, and helpers that seed it and register the same clients in the console."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from core import db
from core.models import Client, ClientCreate, Office
from core.services.clients.register import insert_client
from core.settings import reload_settings
from simulator.testing import SimAdmin, SimServer
from tests.conftest import OfficeActors
from tests.factories import valid_nips

OFFICE_NIP = "5265877635"


@pytest.fixture(scope="session")
def sim_server() -> Iterator[SimServer]:
    with SimServer() as server:
        yield server


@pytest.fixture
def sim(sim_server: SimServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimAdmin]:
    """The shared simulator, reset, with the console pointed at it (environment SIM)."""
    monkeypatch.setenv("KSEF_CONSOLE_SIM_URL", sim_server.url)
    reload_settings()
    with SimAdmin(sim_server.url) as admin:
        admin.reset()
        yield admin


@dataclass
class SeededClients:
    office: OfficeActors
    seeded: dict[str, Any]
    ids: dict[str, int]  # scenario name (with a suffix when repeated) -> client id
    nips: dict[str, str]

    def token(self, name: str) -> str:
        nip = self.nips[name]
        return next(c["ksefToken"] for c in self.seeded["clients"] if c["nip"] == nip)

    def certificate(self, name: str) -> dict[str, Any]:
        nip = self.nips[name]
        return next(c["certificate"] for c in self.seeded["clients"] if c["nip"] == nip)

    @property
    def office_certificate(self) -> dict[str, Any]:
        return self.seeded["office"]["certificate"]


def seed_clients(sim: SimAdmin, office: OfficeActors, scenarios: list[str], seed: int = 11) -> SeededClients:
    """Seed the simulator and register the same clients in the console (not linked yet)."""
    nips = valid_nips(len(scenarios) + 1, seed=seed)
    nips = [n for n in nips if n != OFFICE_NIP][: len(scenarios)]
    names = {}
    for scenario in scenarios:
        base, number = scenario, 1
        while f"{base}{number if number > 1 else ''}" in names:
            number += 1
        names[f"{base}{number if number > 1 else ''}"] = scenario
    entries = [{"nip": nip, "name": f"Firma {name}", "scenario": scenario}
               for nip, (name, scenario) in zip(nips, names.items(), strict=True)]  # fmt: skip
    seeded = sim.seed(OFFICE_NIP, "Biuro Testowe", entries, invoices_per_client=4)
    ids = {}
    with db.session_scope(write=True) as session:
        office_row = session.get(Office, office.office_id)
        for entry, name in zip(entries, names, strict=True):
            client: Client = insert_client(
                session, office=office_row, data=ClientCreate(nip=entry["nip"], name=entry["name"])
            )
            ids[name] = client.id
    return SeededClients(office, seeded, ids, {name: e["nip"] for name, e in zip(names, entries, strict=True)})


def grant_office(
    sim: SimAdmin, context_nip: str, permissions: tuple[str, ...] = ("InvoiceRead", "InvoiceWrite")
) -> None:
    """What the client does in the KSeF taxpayer app: grant the office its rights (the TEST-only shortcut)."""
    response = sim._http.post(
        "/v2/testdata/permissions",
        json={
            "contextIdentifier": {"type": "Nip", "value": context_nip},
            "authorizedIdentifier": {"type": "Nip", "value": OFFICE_NIP},
            "permissions": [{"permissionType": p, "description": "uprawnienia dla biura"} for p in permissions],
        },
    )
    assert response.status_code < 300, response.text
