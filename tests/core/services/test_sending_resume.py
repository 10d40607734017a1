"""Every outcome is the truth (issue 11 §2): invoices a failed attempt left in `sending` are picked up by the retry,
so each ends with its KSeF number, its UPO and exactly one usage event. The fault is injected in the simulator (real
HTTP 503s) in the middle of the batch."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from core import db
from core.jobs.worker import drain
from core.models import Invoice, InvoiceDocument, JobRun, UsageEvent
from core.services import sending
from core.types import InvoiceStatus, JobStatus
from tests.core.services.test_invoices import _invoice, _linked


def test_invoices_left_in_sending_by_a_failed_attempt_are_finished_by_the_retry(sim, office, monkeypatch):
    client_id, nip = _linked(sim, office)
    sent = sending.send_invoice
    calls = {"n": 0}

    def faulty_send(*args, **kwargs):  # after two invoices went out, KSeF starts failing
        calls["n"] += 1
        if calls["n"] == 3:
            sim.set_faults(errorRate=1.0)
        return sent(*args, **kwargs)

    monkeypatch.setattr(sending, "send_invoice", faulty_send)
    files = [(f"{n}.xml", _invoice(nip, f"R/{n}")) for n in range(4)]
    batch = sending.queue_invoices(actor=office.support, client_id=client_id, files=files)
    drain()
    with db.session_scope() as session:
        statuses = sorted(session.execute(sa.select(Invoice.status)).scalars())
    assert statuses.count(InvoiceStatus.sending) == 2, statuses  # the attempt failed mid-batch
    sim.clear_faults()
    for _ in range(3):  # the job's retry, now due
        with db.session_scope(write=True) as session:
            session.execute(sa.update(JobRun).where(JobRun.status == "pending").values(run_after=datetime.now(UTC)))
        drain()
    with db.session_scope() as session:
        job = session.get(JobRun, batch.job_id)
        rows = session.execute(sa.select(Invoice, InvoiceDocument).join(InvoiceDocument)).all()
        usage = session.execute(sa.select(UsageEvent.invoice_id)).scalars().all()
    assert job is not None and job.status == JobStatus.done
    assert {invoice.status for invoice, _ in rows} == {InvoiceStatus.accepted}
    assert all(invoice.ksef_number and document.upo_xml for invoice, document in rows)
    assert sorted(usage) == sorted(invoice.id for invoice, _ in rows)  # one usage event each
    assert len({invoice.ksef_number for invoice, _ in rows}) == len(files)
