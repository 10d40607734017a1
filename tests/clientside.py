"""Fixtures of the client side (a pytest plugin of tests/conftest.py): SMTP to a real local server with the
invitation's link read back, two plain clients, and two clients linked to the simulator with a program each."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from aiosmtpd.controller import Controller

import ksef_spec
from core.models import ClientCreate
from core.services.clients import register as clients
from core.services.clientside import programs
from core.services.linking import credentials, links
from core.services.linking import keys as company_keys
from core.services.linking.links import LinkRequest
from core.services.notifications import settings as notification_settings
from core.types import AuthMethod
from tests.factories import valid_nips
from tests.simulated import seed_clients

SAMPLE = (ksef_spec.SAMPLES_DIR / "fa3" / "csharp-invoice-template-fa-3.xml").read_text(encoding="utf-8")
PASSWORD = "haslo-programu-1"


def invoice(nip: str, number: str) -> bytes:
    return SAMPLE.replace("#nip#", nip).replace("#invoice_number#", number).encode()


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"

    def last_token(self) -> str:
        body = self.messages[-1][1].get_body(preferencelist=("plain",)).get_content()
        link = re.search(r"http://\S+", body)
        assert link, body
        return parse_qs(urlparse(link.group(0)).query)["token"][0]


@pytest.fixture
def inbox(office) -> Inbox:
    box = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    notification_settings.update_smtp(
        actor=office.manager, host="127.0.0.1", port=port, security="none", sender="konsola@biuro.example.pl"
    )
    yield box
    controller.stop()


@dataclass(frozen=True)
class TwoClients:
    own: int
    own_nip: str
    other: int
    other_nip: str


@pytest.fixture
def two_clients(office) -> TwoClients:
    first, second = valid_nips(2, seed=14)
    a = clients.add_client(actor=office.manager, data=ClientCreate(nip=first, name="Firma Własna"))
    b = clients.add_client(actor=office.manager, data=ClientCreate(nip=second, name="Firma Obca"))
    return TwoClients(a.id, first, b.id, second)


@dataclass(frozen=True)
class Linked:
    client_id: int
    nip: str
    key: str
    other_client_id: int
    other_nip: str
    other_key: str


def link_two(sim, office) -> Linked:
    """Two clients linked to the simulator by their own tokens, each with a program "ERP"."""
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
def linked(sim, office) -> Linked:
    return link_two(sim, office)


@pytest.fixture
def any_linked(sim, any_office) -> Linked:
    """`linked` once on SQLite and once on PostgreSQL."""
    return link_two(sim, any_office)


def start_intake(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "core.intake", "--host", "127.0.0.1", "--port", str(port)], env=os.environ.copy()
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the intake process exited"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("the intake process did not start")


def send_pushed() -> int:
    """What the worker does once the intake's short batching window has passed: the window is ended now (a shift of
    the clock, as the expiry tests do) and the due jobs run in this process."""
    import sqlalchemy as sa

    from core import db
    from core.jobs.worker import drain
    from core.models import JobRun
    from core.types import utcnow

    with db.session_scope(write=True) as session:
        session.execute(sa.update(JobRun).where(JobRun.status == "pending").values(run_after=utcnow()))
    return drain()
