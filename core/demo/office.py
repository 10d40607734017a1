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
from core.demo.clientside import seed_client_side
from core.models import Client, ClientCreate, Office, Package, SmtpSettings, User, UserCreate
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
# Addresses on a reserved domain: the demo's e-mails go to the local mail catcher, never out.
DEMO_MAIL_DOMAIN = "biuro-przyklad.example.pl"
DEMO_SENDER = f"konsola-ksef@{DEMO_MAIL_DOMAIN}"


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
    _give_users_addresses(office_id)
    _point_mail_at_the_catcher(office_id)
    linked = _link_demo_clients(office_id, definition, first_start=created) if with_simulator else 0
    client_side = seed_client_side(office_id, DEMO_PASSWORD, DEMO_MAIL_DOMAIN) if with_simulator else None
    return {
        "created": created,
        "office_id": office_id,
        "account_id": definition["accountId"],
        "clients": client_count,
        "newly_linked": linked,
        "users": [name for name, _, _ in DEMO_USERS],
        "client_company": client_side,
    }


def _link_demo_clients(office_id: int, definition: dict[str, Any], *, first_start: bool) -> int:
    """Ask the simulator for the demo office's credentials and link every client not linked yet.

    The links are written as they would be after the connect wizard; their status comes from a real verification
    against the simulator. On the first start that verification and the first sync run here, and the office gets
    its past (core.demo.history); later, newly linked clients are verified by the worker as a job.
    """
    import httpx

    from core.demo.links import link_scenarios
    from core.services.linking.links import start_bulk_verify
    from core.settings import get_settings

    sim_url = get_settings().sim_url
    response = httpx.post(f"{sim_url}/_sim/seed/demo", timeout=300)
    response.raise_for_status()
    for entry in definition["clients"]:
        # A client whose connection keeps breaking, as some real ones do: a fault on its context in the simulator.
        if entry.get("simulatorFault"):
            fault = {"scope": entry["nip"], **entry["simulatorFault"]}
            httpx.post(f"{sim_url}/_sim/faults", json=fault, timeout=30).raise_for_status()
    client_ids = link_scenarios(office_id, response.json())
    if client_ids and first_start:
        from core.demo.history import prepare_history

        prepare_history(office_id, client_ids)
    elif client_ids:
        start_bulk_verify(actor=Actor.system("demo-seed", office_id), client_ids=client_ids)
    return len(client_ids)


def _give_users_addresses(office_id: int) -> None:
    """Demo users without an e-mail get one (also in demo offices created before they had any)."""
    with session_scope(write=True) as session:
        for user in session.exec(select(User).where(User.office_id == office_id, User.email == "")).all():
            if user.username in {name for name, _, _ in DEMO_USERS}:
                user.email = f"{user.username}@{DEMO_MAIL_DOMAIN}"
                session.add(user)


def _point_mail_at_the_catcher(office_id: int) -> None:
    """The office's SMTP server is the local mail catcher of `make run`, on the port of this run, unless a person
    set another server."""
    from core.services.notifications.mailbox import LOOPBACK
    from core.settings import get_settings

    port = get_settings().mail_port
    with session_scope(write=True) as session:
        row = session.exec(select(SmtpSettings).where(SmtpSettings.office_id == office_id)).first()
        row = row or SmtpSettings(office_id=office_id)
        if row.host and row.host.strip().lower() not in LOOPBACK:
            return
        if (row.host, row.port, row.security, row.sender) == ("127.0.0.1", port, "none", DEMO_SENDER):
            return
        row.host, row.port, row.security, row.sender, row.username = "127.0.0.1", port, "none", DEMO_SENDER, ""
        row.password_ciphertext = None
        session.add(row)
        audit.record(session, Actor.system("demo-seed", office_id), "smtp.update", f"office:{office_id}",
                     host=row.host, port=port, password_changed=False)  # fmt: skip


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
            data=UserCreate(
                username=username,
                role=role,
                full_name=full_name,
                password=DEMO_PASSWORD,
                email=f"{username}@{DEMO_MAIL_DOMAIN}",
            ),
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
