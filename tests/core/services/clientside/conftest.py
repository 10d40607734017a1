"""Fixtures of the client side: an office with two clients, SMTP to a real local server, a client user."""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from email import message_from_bytes, policy
from urllib.parse import parse_qs, urlparse

import pytest
from aiosmtpd.controller import Controller

from core.models import ClientCreate
from core.services.clients import register as clients
from core.services.notifications import settings as notification_settings
from tests.core.intake.conftest import linked  # noqa: F401  (two clients linked to the simulator)
from tests.factories import valid_nips


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
