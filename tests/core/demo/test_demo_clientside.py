"""The demo's client side: a client user and a connected reference program whose outbox invoices reach the
simulator and come back with KSeF numbers and UPOs (what `make run` shows)."""

from __future__ import annotations

import json
import signal

import pytest

from clientprogram.api import Credentials, IntakeClient
from clientprogram.sync import sync_once
from core.demo.clientside import CLIENT_USER, OUTBOX_INVOICES, PROGRAM, program_config, seed_client_side
from core.services import users
from core.services.clientside import my_company, programs
from core.settings import reload_settings
from simulator.testing import free_port
from tests.clientside import send_pushed, start_intake

pytestmark = pytest.mark.slow


def test_the_demo_client_has_a_user_and_a_program_whose_invoices_reach_ksef(office, linked, monkeypatch):
    port = free_port()
    monkeypatch.setenv("KSEF_CONSOLE_INTAKE_PORT", str(port))
    reload_settings()
    name = seed_client_side(office.office_id, "demo", "biuro-przyklad.example.pl")
    assert name and seed_client_side(office.office_id, "demo", "biuro-przyklad.example.pl") == name  # idempotent
    actor = users.authenticate(username=CLIENT_USER, password="demo")
    view = my_company.overview(actor=actor)
    assert view.name == name and view.access.view_documents and view.access.send_invoices
    config = json.loads(program_config().read_text())
    outbox = program_config().parent / "outbox"
    assert len(list(outbox.glob("*.xml"))) == OUTBOX_INVOICES

    intake = start_intake(port)
    try:
        client = IntakeClient(Credentials(config["url"], config["company_key"], config["program"], config["password"]))
        assert sync_once(client, outbox, program_config().parent / "inbox").pushed == OUTBOX_INVOICES
        send_pushed()
        report = sync_once(client, outbox, program_config().parent / "inbox")
        client.close()
    finally:
        intake.send_signal(signal.SIGTERM)
        intake.wait(timeout=30)
    assert report.accepted == OUTBOX_INVOICES and not report.errors
    assert len(list(outbox.glob("*.ksef.txt"))) == OUTBOX_INVOICES == len(list(outbox.glob("*.upo.xml")))
    (listed,) = [p for p in programs.list_programs(actor=office.support, client_id=view.client_id) if p.name == PROGRAM]
    assert listed.pushed == OUTBOX_INVOICES and listed.last_contact_at is not None
    sent = my_company.documents(actor=actor, subject_type="Subject1").items
    assert sum(1 for row in sent if row.ksef_number and row.file_name.startswith("FV-DEMO")) == OUTBOX_INVOICES
