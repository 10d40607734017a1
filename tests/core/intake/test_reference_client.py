"""End to end: the reference client program against a running intake process and the simulator. 20 invoices in the
outbox (2 invalid), the intake process killed mid-push and started again: every valid invoice reaches KSeF exactly
once with its KSeF number and UPO beside it, the invalid ones say why, and the purchases land in the inbox."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from clientprogram.api import Credentials, IntakeClient
from clientprogram.sync import sync_once
from core import db
from core.models import IntakeDocument, Invoice, JobRun, UsageEvent
from core.services.sync.engine import sync_client
from simulator.testing import free_port
from tests.clientside import PASSWORD, invoice, send_pushed, start_intake

pytestmark = pytest.mark.slow


def _count(model, *where) -> int:
    with db.session_scope() as session:
        return session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


def _cli(config: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "ksef-console"), "connect", "--config", str(config), *args],
        input=stdin, capture_output=True, text=True, timeout=300, env=os.environ.copy(),
    )  # fmt: skip


def test_twenty_invoices_two_invalid_and_the_intake_killed_mid_push(tmp_path, office, linked):
    client_id, nip = linked.other_client_id, linked.other_nip
    sync_client(actor=office.support, client_id=client_id)  # the purchases the program will pull
    outbox, inbox, config = tmp_path / "outbox", tmp_path / "inbox", tmp_path / "ksef-connect.json"
    outbox.mkdir()
    for number in range(1, 19):
        (outbox / f"FV-{number:02}.xml").write_bytes(invoice(nip, f"FV/{number}/2026"))
    (outbox / "zepsuta.xml").write_bytes(b"<Faktura><P_2>bez zamkniecia</Faktura>")
    (outbox / "obcy-sprzedawca.xml").write_bytes(invoice(linked.nip, "OBCY/1"))

    port = free_port()
    intake = start_intake(port)
    url = f"http://127.0.0.1:{port}"
    try:
        configured = _cli(config, "configure", "--url", url, "--company-key", linked.other_key, "--program", "ERP",
                          "--outbox", str(outbox), "--inbox", str(inbox), "--every", "5", "--password-stdin",
                          stdin=PASSWORD + "\n")  # fmt: skip
        assert configured.returncode == 0, configured.stderr
        assert oct(config.stat().st_mode & 0o777) == "0o600"
        tested = _cli(config, "test")
        assert tested.returncode == 0 and nip in tested.stdout, tested.stderr

        # Push in the background and kill the intake process once a few invoices are in.
        client = IntakeClient(Credentials(url, linked.other_key, "ERP", PASSWORD))
        reports = []
        pushing = threading.Thread(target=lambda: reports.append(sync_once(client, outbox, inbox)))
        pushing.start()
        deadline = time.monotonic() + 120
        while _count(IntakeDocument) < 5:
            assert time.monotonic() < deadline and pushing.is_alive(), "the pushes did not start"
            time.sleep(0.01)
        intake.send_signal(signal.SIGKILL)
        intake.wait(timeout=30)
        pushing.join(timeout=120)
        client.close()
        assert reports and reports[0].errors, "the cut-off sync reports that it could not finish"
        cut_at = _count(IntakeDocument)
        assert 5 <= cut_at < 18

        intake = start_intake(port)
        first = _cli(config, "sync-now")
        assert first.returncode == 0, first.stdout + first.stderr
        send_pushed()  # the worker sends the queued invoices to the simulator
        second = _cli(config, "sync-now")
        report = json.loads(second.stdout)
        assert second.returncode == 0 and report["accepted"] == 18 and report["refused"] == 2, report
        shown = _cli(config, "show")
        assert shown.returncode == 0 and len(shown.stdout.strip().splitlines()) == 18
        print(f"intake killed after {cut_at} of 18 pushes; pulled {report['pulled']} received invoices")
    finally:
        intake.send_signal(signal.SIGTERM)
        intake.wait(timeout=30)

    # Nothing lost, nothing twice: 18 documents, 18 invoices sent once each, 18 operations counted.
    assert _count(IntakeDocument) == 18
    jobs = _count(JobRun, JobRun.kind == "send_invoices")
    assert jobs <= 4, "pushes in a burst share a sending job (a KSeF session)"
    print(f"18 invoices went to KSeF in {jobs} sending jobs")
    numbers = [(outbox / f"FV-{n:02}.ksef.txt").read_text().strip() for n in range(1, 19)]
    assert len(set(numbers)) == 18 and all(n.startswith(nip) for n in numbers)
    for n, number in zip(range(1, 19), numbers, strict=True):
        assert number.encode() in (outbox / f"FV-{n:02}.upo.xml").read_bytes()
    with db.session_scope() as session:
        sent = (
            session.execute(
                sa.select(Invoice.ksef_number).where(Invoice.client_id == client_id, Invoice.file_name.like("FV-%"))
            )
            .scalars()
            .all()
        )
        purchases = session.execute(
            sa.select(sa.func.count()).where(
                Invoice.client_id == client_id, Invoice.subject_type == "Subject2", Invoice.status == "received"
            )
        ).scalar_one()
    assert sorted(sent) == sorted(numbers)
    assert _count(UsageEvent, UsageEvent.client_id == client_id, UsageEvent.kind == "invoice_sent") == 18
    assert linked.other_nip in (outbox / "obcy-sprzedawca.error.txt").read_text()  # "the seller must be the client"
    assert (outbox / "zepsuta.error.txt").read_text().strip()
    assert purchases and len(list(inbox.glob("*.xml"))) == purchases
    assert _cli(config, "remove").returncode == 0 and not config.exists()
