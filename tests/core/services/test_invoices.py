"""Receiving and sending invoices against the simulator: HWM continuity, resumption, 440/430/450, usage events."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import sqlalchemy as sa

import ksef_spec
from core import db
from core.ids import validate_ksef_number
from core.jobs.kinds import SendResult
from core.jobs.worker import drain
from core.models import AuditEvent, Invoice, InvoiceDocument, SyncState, UsageEvent
from core.services import invoices, sending
from core.services.jobs import job_progress
from core.services.linking import credentials, links
from core.services.linking.links import LinkRequest
from core.services.sync.engine import sync_client
from core.types import AuthMethod, InvoiceStatus
from tests.simulated import seed_clients

SAMPLE = (ksef_spec.SAMPLES_DIR / "fa3" / "csharp-invoice-template-fa-3.xml").read_text(encoding="utf-8")


def _linked(sim, office, scenario="no_invoices"):
    seeded = seed_clients(sim, office, [scenario])
    client_id = seeded.ids[scenario]
    credentials.add_ksef_token(actor=office.support, client_id=client_id, token=seeded.token(scenario))
    assert links.connect_client(
        actor=office.support, client_id=client_id, request=LinkRequest(AuthMethod.ksef_token)
    ).ok
    return client_id, seeded.nips[scenario]


def _local(client_id: int) -> list[str]:
    with db.session_scope() as session:
        return list(session.execute(sa.select(Invoice.ksef_number).where(Invoice.client_id == client_id)).scalars())


def _remote(sim, nip: str) -> set[str]:
    return set(sim.invoices(nip, "Subject1")) | set(sim.invoices(nip, "Subject2"))


def _usage(client_id: int) -> int:
    with db.session_scope() as session:
        return session.execute(sa.select(sa.func.count()).where(UsageEvent.client_id == client_id)).scalar_one()


def test_sync_receives_both_directions_once_with_one_usage_event_each(sim, office):
    client_id, nip = _linked(sim, office)
    sim.generate_invoices(nip, 6, "both", spread_days=20)
    remote = _remote(sim, nip)
    assert len(sim.invoices(nip, "Subject1")) and len(sim.invoices(nip, "Subject2")), "both directions generated"
    report = sync_client(actor=office.support, client_id=client_id)
    local = _local(client_id)
    assert report.ok and sorted(local) == sorted(remote)
    assert _usage(client_id) == len(remote)
    again = sync_client(actor=office.support, client_id=client_id)
    assert again.new_invoices == 0 and _usage(client_id) == len(remote)
    with db.session_scope() as session:
        documents = session.execute(sa.select(sa.func.count()).where(InvoiceDocument.xml.is_not(None))).scalar_one()
    assert documents == len(remote)


def test_hwm_follows_a_moving_ksef_hwm_without_gap(sim, office):
    client_id, nip = _linked(sim, office)
    sim.generate_invoices(nip, 3, "Subject1", spread_days=2)
    sim.set_hwm_lag(nip, 3 * 86400)  # KSeF's HWM trails three days: the newest invoices are not final yet
    sync_client(actor=office.support, client_id=client_id)
    held_back = set(_remote(sim, nip)) - set(_local(client_id))
    with db.session_scope() as session:
        hwm = session.execute(sa.select(SyncState.hwm).where(SyncState.subject_type == "Subject1")).scalar_one()
    assert held_back, "the lagging HWM should have held some invoices back"
    sim.set_hwm_lag(nip, 0)
    sync_client(actor=office.support, client_id=client_id)
    assert sorted(_local(client_id)) == sorted(_remote(sim, nip))
    with db.session_scope() as session:
        assert session.execute(sa.select(SyncState.hwm).where(SyncState.subject_type == "Subject1")).scalar_one() > hwm


@pytest.mark.slow
def test_truncated_results_continue_from_the_last_record(sim, office):
    """Over 10,000 invoices in one window: exports come back truncated and the next one starts where it ended."""
    client_id, nip = _linked(sim, office)
    sim.generate_invoices(nip, 10_300, "Subject2", spread_days=10)
    report = sync_client(actor=office.support, client_id=client_id, subject_types=("Subject2",))
    local = _local(client_id)
    assert len(local) == len(set(local)) == 10_300
    assert set(local) == set(sim.invoices(nip, "Subject2"))
    assert report.subjects[0].exports >= 2


SYNC_WORKER = textwrap.dedent(
    """
    import sys
    from core.security import Actor
    from core.services.sync.engine import sync_client
    sync_client(actor=Actor.system("worker", int(sys.argv[1])), client_id=int(sys.argv[2]))
    """
)


@pytest.mark.slow
def test_a_sync_killed_mid_window_resumes_without_gap_or_duplicate(sim, office):
    client_id, nip = _linked(sim, office)
    sim.generate_invoices(nip, 80, "both", spread_days=200)  # several three-month windows
    total = len(_remote(sim, nip))
    sim.set_faults(latencyMs=150)
    worker = subprocess.Popen(
        [sys.executable, "-c", SYNC_WORKER, str(office.office_id), str(client_id)], env={**os.environ}
    )
    deadline = time.monotonic() + 60
    while len(_local(client_id)) < 10 and time.monotonic() < deadline and worker.poll() is None:
        time.sleep(0.2)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    sim.clear_faults()
    stored_before = len(_local(client_id))
    assert 0 < stored_before < total, "the worker should have died half-way"
    sync_client(actor=office.support, client_id=client_id)
    local = _local(client_id)
    assert len(local) == len(set(local)) and set(local) == _remote(sim, nip)
    assert _usage(client_id) == total


def _audit(action: str) -> list[tuple[str, str, dict]]:
    with db.session_scope() as session:
        rows = session.execute(
            sa.select(AuditEvent.actor, AuditEvent.target, AuditEvent.details)
            .where(AuditEvent.action == action)
            .order_by(AuditEvent.id)
        ).all()
    return [tuple(row) for row in rows]


def _invoice(nip: str, number: str) -> bytes:
    return SAMPLE.replace("#nip#", nip).replace("#invoice_number#", number).encode()


def test_sending_stores_the_ksef_number_and_upo_and_counts_once(sim, office):
    client_id, nip = _linked(sim, office)
    batch = sending.queue_invoices(
        actor=office.support,
        client_id=client_id,
        files=[("a.xml", _invoice(nip, "A/1")), ("b.xml", _invoice(nip, "B/1"))],
    )
    assert batch.rejected == {} and len(batch.invoice_ids) == 2
    drain()
    job = job_progress(actor=office.support, job_id=batch.job_id, result=SendResult)
    assert job.status == "done" and job.result == SendResult(dict.fromkeys(batch.invoice_ids, InvoiceStatus.accepted))
    page = invoices.list_invoices(actor=office.support, client_id=client_id)
    assert {r.status for r in page.items} == {"accepted"}
    # Each outcome is in the audit log, in the name of the person who sent it, and so is the job's.
    accepted = _audit("invoice.accepted")
    assert sorted(target for _actor, target, _details in accepted) == [f"invoice:{i}" for i in batch.invoice_ids]
    assert {(actor, details["ksef_number"]) for actor, _target, details in accepted} == {
        (office.support.username, row.ksef_number) for row in page.items
    }
    ((actor, target, details),) = _audit("job.done")
    assert (actor, target) == (office.support.username, f"job:{batch.job_id}")
    assert details["accepted"] == sorted(batch.invoice_ids) and details["rejected"] == []
    for row in page.items:
        assert validate_ksef_number(row.ksef_number).startswith(nip)
    _name, upo = invoices.invoice_upo(actor=office.analyst, invoice_id=page.items[0].id)
    assert b"Potwierdzenie" in upo and page.items[0].ksef_number.encode() in upo
    assert _usage(client_id) == 2
    # Receiving the same invoices back as Subject1 neither duplicates them nor counts them again.
    sync_client(actor=office.support, client_id=client_id)
    assert sorted(_local(client_id)) == sorted(set(_local(client_id))) and _usage(client_id) == 2


def test_a_duplicate_is_resolved_to_the_original_ksef_number(sim, office):
    client_id, nip = _linked(sim, office)
    sending.queue_invoices(actor=office.support, client_id=client_id, files=[("a.xml", _invoice(nip, "D/1"))])
    drain()
    original = invoices.list_invoices(actor=office.support, client_id=client_id).items[0].ksef_number
    sending.queue_invoices(actor=office.support, client_id=client_id, files=[("again.xml", _invoice(nip, "D/1"))])
    drain()
    rows = {r.file_name: r for r in invoices.list_invoices(actor=office.support, client_id=client_id).items}
    assert rows["again.xml"].status == "duplicate"
    assert rows["again.xml"].original_ksef_number == original
    assert _audit("invoice.duplicate") == [
        (office.support.username, f"invoice:{rows['again.xml'].id}",
         {"client_id": client_id, "original_ksef_number": original}),
    ]  # fmt: skip
    assert _usage(client_id) == 1
    # The duplicate points at the original's register row, and its UPO button gives the original's UPO.
    first = next(
        r
        for r in invoices.list_invoices(actor=office.support, client_id=client_id).items
        if r.id != rows["again.xml"].id
    )
    assert rows["again.xml"].original_id == first.id and rows["again.xml"].has_upo
    name, upo = invoices.invoice_upo(actor=office.analyst, invoice_id=rows["again.xml"].id)
    assert name == f"UPO-{original}.xml" and original.encode() in upo


def _future_issue_date(xml: bytes) -> bytes:
    from datetime import date, timedelta

    issued = xml.split(b"<P_1>")[1].split(b"</P_1>")[0]
    return xml.replace(b"<P_1>" + issued, b"<P_1>" + (date.today() + timedelta(days=5)).isoformat().encode())


@pytest.mark.parametrize(
    ("change", "code"),
    [(lambda xml: xml.replace(b"<P_2>", b"<P_2_X>").replace(b"</P_2>", b"</P_2_X>"), 430), (_future_issue_date, 450)],
)
def test_ksef_s_own_rejection_is_stored_with_its_details(sim, office, change, code):
    """KSeF can refuse what our offline check let through (430 schema, 450 semantics): the details are kept."""
    client_id, nip = _linked(sim, office)
    batch = sending.queue_invoices(actor=office.support, client_id=client_id, files=[("r.xml", _invoice(nip, "R/1"))])
    broken = change(_invoice(nip, "R/1"))
    with db.session_scope(write=True) as session:  # as if the file changed after our check
        session.execute(
            sa.update(InvoiceDocument).values(xml=broken).where(InvoiceDocument.invoice_id == batch.invoice_ids[0])
        )
    drain()
    row = invoices.list_invoices(actor=office.support, client_id=client_id).items[0]
    assert row.status == "rejected" and row.error_code == code and row.error_details
    assert _audit("invoice.rejected") == [
        (office.support.username, f"invoice:{row.id}", {"client_id": client_id, "code": code})
    ]
    assert _usage(client_id) == 0


def test_offline_check_refuses_before_sending(sim, office):
    client_id, nip = _linked(sim, office)
    batch = sending.queue_invoices(
        actor=office.support,
        client_id=client_id,
        files=[
            ("other.xml", _invoice("1111111111", "X/1")),
            ("broken.xml", b"<Faktura>"),
            ("good.xml", _invoice(nip, "G/1")),
        ],
    )
    assert set(batch.rejected) == {"other.xml", "broken.xml"}
    assert "NIP 1111111111" in batch.rejected["other.xml"][0]
    assert batch.rejected["broken.xml"][0].startswith("wiersz 1:")
    assert len(batch.invoice_ids) == 1
