"""Sending above the batch threshold against the simulator: one batch session instead of an online one, every outcome
recorded as online sending records it (KSeF number, UPO, one usage event, audit), and a worker killed at any point
resumes without sending or counting anything twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter

import pytest
import sqlalchemy as sa

from core import db
from core.ids import validate_ksef_number
from core.jobs.worker import drain
from core.models import AuditEvent, Invoice, InvoiceDocument, UsageEvent
from core.services import sending, sending_batch
from core.types import InvoiceStatus
from tests.core.services.test_invoices import _future_issue_date, _invoice, _linked

COUNT = sending_batch.BATCH_THRESHOLD + 10


def _files(nip: str, count: int, prefix: str = "M") -> list[tuple[str, bytes]]:
    return [(f"{prefix}{n}.xml", _invoice(nip, f"{prefix}/2026/{n}")) for n in range(count)]


def _rows(client_id: int) -> list[Invoice]:
    with db.session_scope() as session:
        return list(session.execute(sa.select(Invoice).where(Invoice.client_id == client_id)).scalars())


def _count(model: type, **where: object) -> int:
    with db.session_scope() as session:
        query = sa.select(sa.func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return session.execute(query).scalar_one()


def _remote_sessions(sim) -> list[dict]:
    return list(sim.state()["sessions"])


def _sent_numbers(sim) -> Counter[str]:
    """How many times KSeF accepted each invoice number, over every session."""
    return Counter(number for session in _remote_sessions(sim) for number in session["acceptedInvoiceNumbers"])


def test_above_the_threshold_one_batch_session_records_every_outcome(sim, office):
    client_id, nip = _linked(sim, office)
    sending.queue_invoices(actor=office.support, client_id=client_id, files=[("d.xml", _invoice(nip, "M/2026/0"))])
    drain()  # an earlier invoice, so the package holds a duplicate
    batch = sending.queue_invoices(actor=office.support, client_id=client_id, files=_files(nip, COUNT))
    future = batch.invoice_ids[1]
    with db.session_scope(write=True) as session:  # KSeF refuses what our offline check let through (450)
        xml = session.get(InvoiceDocument, future).xml
        session.execute(sa.update(InvoiceDocument).values(xml=_future_issue_date(xml)).where(
            InvoiceDocument.invoice_id == future))  # fmt: skip
    drain()

    sessions = _remote_sessions(sim)
    assert [s["sessionType"] for s in sessions].count("Batch") == 1
    assert [s["sessionType"] for s in sessions].count("Online") == 1  # only the single earlier invoice went online
    rows = {row.id: row for row in _rows(client_id)}
    duplicate, rejected = rows[batch.invoice_ids[0]], rows[future]
    assert duplicate.status == InvoiceStatus.duplicate and duplicate.original_ksef_number
    assert rejected.status == InvoiceStatus.rejected and rejected.error_code == 450 and rejected.error_details
    accepted = [rows[i] for i in batch.invoice_ids[2:]]
    assert {row.status for row in accepted} == {InvoiceStatus.accepted}
    for row in accepted:
        assert validate_ksef_number(row.ksef_number).startswith(nip) and row.acquisition_date is not None
        with db.session_scope() as session:
            upo = session.get(InvoiceDocument, row.id).upo_xml
        assert b"Potwierdzenie" in upo and row.ksef_number.encode() in upo
    assert _count(UsageEvent, client_id=client_id) == 1 + len(accepted)
    assert _count(AuditEvent, action="invoice.accepted") == 1 + len(accepted)
    assert _count(AuditEvent, action="invoice.rejected") == 1
    assert _count(AuditEvent, action="invoice.duplicate") == 1
    assert sim.stats()["byGroup"]["invoiceSend"]["requests"] == 1  # the earlier online send; none for the batch


def test_at_the_threshold_an_online_session_is_used(sim, office):
    client_id, nip = _linked(sim, office)
    sending.queue_invoices(actor=office.support, client_id=client_id, files=_files(nip, sending_batch.BATCH_THRESHOLD))
    drain()
    assert [s["sessionType"] for s in _remote_sessions(sim)] == ["Online"]
    assert {row.status for row in _rows(client_id)} == {InvoiceStatus.accepted}


SEND_WORKER = textwrap.dedent(
    """
    import sys
    from core.security import Actor
    from core.services import sending, sending_batch
    sending_batch.WRITE_CHUNK = 4  # small chunks, so a kill can land between two of them
    sending.send_batch(actor=Actor.system("worker", int(sys.argv[1])), client_id=int(sys.argv[2]),
                       invoice_ids=[int(i) for i in sys.argv[3].split(",")])
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("kill_when", [InvoiceStatus.sending, InvoiceStatus.accepted])
def test_a_send_killed_mid_batch_resumes_without_sending_twice(sim, office, kill_when):
    """Killed after the session opened (before close: a new package is sent, the old one expires unprocessed) or
    while the outcomes are written (the rest are collected from the same session)."""
    client_id, nip = _linked(sim, office)
    batch = sending.queue_invoices(actor=office.support, client_id=client_id, files=_files(nip, COUNT, "K"))
    sim.set_faults(latencyMs=250)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SEND_WORKER,
            str(office.office_id),
            str(client_id),
            ",".join(map(str, batch.invoice_ids)),
        ],
        env={**os.environ},
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and worker.poll() is None:
        if any(row.status == kill_when for row in _rows(client_id)):
            break
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    sim.clear_faults()
    statuses = Counter(row.status for row in _rows(client_id))
    assert statuses[kill_when] > 0 and statuses[InvoiceStatus.accepted] < COUNT, f"killed too late: {statuses}"

    sending.send_batch(actor=office.support, client_id=client_id, invoice_ids=batch.invoice_ids)
    # One package was processed; one killed before its close (status 100) is left to expire, never processed.
    assert [s["status"] for s in _remote_sessions(sim) if s["status"] != 100] == [200]
    rows = _rows(client_id)
    assert {row.status for row in rows} == {InvoiceStatus.accepted}
    assert len({row.ksef_number for row in rows}) == COUNT
    sent = _sent_numbers(sim)
    assert len(sent) == COUNT and set(sent.values()) == {1}  # KSeF took every invoice exactly once
    assert sum(s["duplicates"] for s in _remote_sessions(sim)) == 0
    assert _count(UsageEvent, client_id=client_id) == COUNT
    assert _count(AuditEvent, action="invoice.accepted") == COUNT
