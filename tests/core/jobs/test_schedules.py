"""The schedule: staggered syncs once per interval, and several cycles within KSeF's production limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from core import db
from core.jobs import schedules
from core.jobs.worker import drain
from core.models import Invoice, JobRun
from core.services.linking import credentials, links
from core.services.linking.links import LinkRequest
from core.types import AuthMethod
from tests.simulated import seed_clients


def test_each_client_has_its_own_phase_and_one_sync_per_interval():
    interval = timedelta(minutes=60)
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    phases = {schedules.phase_seconds(client_id, interval) for client_id in range(1, 301)}
    assert len(phases) > 250  # spread over the hour, not all at once
    for client_id in (1, 2, 77):
        number, start = schedules.due_slot(client_id, interval, now)
        assert start <= now < start + interval
        assert schedules.due_slot(client_id, interval, start + interval - timedelta(seconds=1))[0] == number
        assert schedules.due_slot(client_id, interval, start + interval)[0] == number + 1


def test_several_scheduled_cycles_stay_inside_production_limits(sim, office, monkeypatch):
    seeded = seed_clients(sim, office, ["no_invoices", "no_invoices", "no_invoices"])
    for name, client_id in seeded.ids.items():
        credentials.add_ksef_token(actor=office.support, client_id=client_id, token=seeded.token(name))
        assert links.connect_client(
            actor=office.support, client_id=client_id, request=LinkRequest(AuthMethod.ksef_token)
        ).ok
    sim.reset_stats()
    moment = datetime.now(UTC)
    for cycle in range(3):
        for nip in seeded.nips.values():
            sim.generate_invoices(nip, 4, "both", spread_days=0.01)
        monkeypatch.setattr(schedules, "utcnow", lambda moment=moment: moment)
        schedules.enqueue_due_syncs()
        schedules.enqueue_due_syncs()  # the same slot again: nothing new may be queued
        with db.session_scope() as session:
            queued = session.execute(sa.select(sa.func.count()).where(JobRun.kind == "sync")).scalar_one()
        assert queued == 3 * (cycle + 1)
        with db.session_scope(write=True) as session:  # the hour passes: the queued slot is due now
            session.execute(sa.update(JobRun).where(JobRun.status == "pending").values(run_after=datetime.now(UTC)))
        assert drain() == 3, f"cycle {cycle}"
        moment += timedelta(minutes=60)
    with db.session_scope() as session:
        jobs = session.execute(
            sa.select(JobRun.status, sa.func.count()).where(JobRun.kind == "sync").group_by(JobRun.status)
        ).all()
        local = session.execute(sa.select(sa.func.count()).select_from(Invoice)).scalar_one()
    assert jobs == [("done", 9)]
    remote = sum(len(sim.invoices(nip)) for nip in seeded.nips.values())
    assert local == remote
    stats = sim.stats()
    assert stats["tooManyRequests"] == 0 and stats["requests"] > 0
