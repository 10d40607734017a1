"""The demo office (`make run`, `ksef-console demo seed`): office, package, one user per role, ~50 clients.

The demo users (password `demo`) are created here and nowhere else. Seeding is idempotent: an existing demo office
is kept as it is, so re-running `make run` never loses data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from core import audit
from core.db import session_scope
from core.models import Client, ClientCreate, Office, Package, UserCreate
from core.security import Actor
from core.services.clients.register import insert_client
from core.services.office import create_office
from core.services.users import create_user
from core.types import KsefEnvironment, Role

DEMO_FILE = Path(__file__).resolve().parents[2] / "data" / "demo" / "office.json"
DEMO_PASSWORD = "demo"
DEMO_USERS = (
    ("kierownik", Role.manager, "Kierownik Biura"),
    ("wsparcie", Role.support, "Dział Wsparcia"),
    ("analityk", Role.analyst, "Analityk"),
)


def load_demo_definition() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    return data


def seed_demo(*, with_simulator: bool = True) -> dict[str, Any]:
    """Create the demo office once; with the simulator, also its credentials and links, then verify them all."""
    definition = load_demo_definition()
    with session_scope(write=True) as session:
        office = session.exec(select(Office).where(Office.account_id == definition["accountId"])).first()
        created = office is None
        if office is None:
            office = _create_demo_office(session, definition)
        assert office.id is not None
        office_id = office.id
        client_count = len(session.exec(select(Client.id).where(Client.office_id == office.id)).all())
    linked = _link_demo_clients(office_id) if with_simulator else 0
    return {
        "created": created,
        "office_id": office_id,
        "account_id": definition["accountId"],
        "clients": client_count,
        "newly_linked": linked,
        "users": [name for name, _, _ in DEMO_USERS],
    }


def _link_demo_clients(office_id: int) -> int:
    """Ask the simulator for the demo office's credentials and link every client not linked yet.

    The links are written as they would be after the connect wizard; their status comes from a real verification
    against the simulator, run by the worker as a job.
    """
    import httpx

    from core.demo.links import link_scenarios
    from core.services.linking.links import start_bulk_verify
    from core.settings import get_settings

    response = httpx.post(f"{get_settings().sim_url}/_sim/seed/demo", timeout=300)
    response.raise_for_status()
    client_ids = link_scenarios(office_id, response.json())
    if client_ids:
        start_bulk_verify(actor=Actor.system("demo-seed", office_id), client_ids=client_ids)
    return len(client_ids)


def _create_demo_office(session: Session, definition: dict[str, Any]) -> Office:
    office = create_office(session, name=definition["name"], nip=definition["nip"], account_id=definition["accountId"])
    assert office.id is not None
    office.default_environment = KsefEnvironment.SIM
    package = session.exec(select(Package).where(Package.office_id == office.id)).one()
    package.name = definition["package"]["name"]
    package.monthly_limit = definition["package"]["monthlyLimit"]
    package.billing_day = definition["package"]["billingDay"]
    session.add_all([office, package])
    for username, role, full_name in DEMO_USERS:
        create_user(
            session,
            office_id=office.id,
            data=UserCreate(username=username, role=role, full_name=full_name, password=DEMO_PASSWORD),
            check_password=False,
        )
    for entry in definition["clients"]:
        data = ClientCreate(
            nip=entry["nip"],
            name=entry["name"],
            email=entry["email"],
            erp_id=entry["erpId"],
            environment=KsefEnvironment.SIM,
        )
        insert_client(session, office=office, data=data)
    audit.record(session, Actor.system("demo-seed", office.id), "demo.seed", office.account_id)
    return office
