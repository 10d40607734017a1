"""The demo's client side (issue 14): one demo client company has a client user (`klient`, password `demo`) allowed to
see its documents and send invoices itself, and a connected reference program ("Sprzedaż") with an outbox of FA(3)
invoices in `data/demo-program/`, which `make run` runs (`ksef-console connect … run`). Idempotent, like the rest of
the demo seed: what exists is kept."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sqlmodel import col, select

from core import audit
from core.db import session_scope
from core.models import Client, ClientAccess, ClientProgram, Office, User, UserCreate
from core.security import Actor, hash_password
from core.services.linking.keys import current_key
from core.services.users import create_user
from core.settings import get_settings
from core.types import LinkStatus, Role

CLIENT_USER = "klient"
PROGRAM = "Sprzedaż"
PROGRAM_PASSWORD = "demo-program"
OUTBOX_INVOICES = 3


def program_dir() -> Path:
    return get_settings().data_dir / "demo-program"


def program_config() -> Path:
    return program_dir() / "ksef-connect.json"


def seed_client_side(office_id: int, demo_password: str, mail_domain: str) -> str | None:
    """Returns the name of the demo's client company, or None when no demo client is linked yet."""
    with session_scope(write=True) as session:
        office = session.get(Office, office_id)
        client = session.exec(
            select(Client)
            .where(Client.office_id == office_id, Client.link_status == LinkStatus.linked)
            .order_by(col(Client.id))
        ).first()
        existing = session.exec(select(User).where(User.username == CLIENT_USER)).first()
        if existing is not None and existing.client_id is not None:
            client = session.get(Client, existing.client_id)
        if office is None or client is None or client.id is None:
            return None
        actor = Actor.system("demo-seed", office_id)
        if existing is None:
            create_user(
                session, office_id=office_id, client_id=client.id, check_password=False,
                data=UserCreate(username=CLIENT_USER, password=demo_password, role=Role.client,
                                full_name=f"Księgowość {client.name}"[:200], email=f"{CLIENT_USER}@{mail_domain}"),
            )  # fmt: skip
            audit.record(session, actor, "demo.client_user", f"client:{client.id}")
        if session.exec(select(ClientAccess).where(ClientAccess.client_id == client.id)).first() is None:
            session.add(ClientAccess(client_id=client.id, view_documents=True, send_invoices=True))
        program = session.exec(
            select(ClientProgram).where(ClientProgram.client_id == client.id, ClientProgram.name == PROGRAM)
        ).first()
        if program is None:
            session.add(ClientProgram(office_id=office_id, client_id=client.id, name=PROGRAM,
                                      password_hash=hash_password(PROGRAM_PASSWORD)))  # fmt: skip
            audit.record(session, actor, "program.add", f"client:{client.id}", program=PROGRAM)
        key = current_key(session, client, office)
        name, nip = client.name, client.nip
    if key is not None:
        _prepare_folder(key, nip)
    return name


def _prepare_folder(company_key: str, nip: str) -> None:
    """The reference program's configuration and an outbox with a few invoices of the client (made once)."""
    import ksef_spec

    settings = get_settings()
    folder = program_dir()
    outbox, inbox = folder / "outbox", folder / "inbox"
    outbox.mkdir(parents=True, exist_ok=True)
    inbox.mkdir(parents=True, exist_ok=True)
    config = {
        "url": f"http://{settings.ui_address}:{settings.intake_port}", "company_key": company_key,
        "program": PROGRAM, "password": PROGRAM_PASSWORD, "outbox": str(outbox), "inbox": str(inbox), "every": 30,
    }  # fmt: skip
    descriptor = os.open(program_config(), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(config, handle, ensure_ascii=False, indent=2)
    if any(outbox.glob("*.xml")):
        return
    sample = (ksef_spec.SAMPLES_DIR / "fa3" / "csharp-invoice-template-fa-3.xml").read_text(encoding="utf-8")
    for number in range(1, OUTBOX_INVOICES + 1):
        xml = sample.replace("#nip#", nip).replace("#invoice_number#", f"DEMO/PROGRAM/{number}")
        (outbox / f"FV-DEMO-{number}.xml").write_text(xml, encoding="utf-8")
