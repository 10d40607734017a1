"""A killed bulk connect resumes from its recorded per-client progress (issue 10 #7): the worker is SIGKILLed while
slow clients are still connecting; the next attempt connects only the clients without an outcome, and every client
ends linked. KSeF is the simulator over HTTP; the worker is a real process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta

import sqlalchemy as sa

from core import db
from core.jobs import queue
from core.jobs.worker import drain
from core.models import AuditEvent, Client, JobRun
from core.services.linking import credentials, links
from core.types import JobStatus, LinkStatus, utcnow
from tests.linking import TOKEN
from tests.simulated import seed_clients


def _job(job_id: int) -> JobRun:
    with db.session_scope() as session:
        job = session.get(JobRun, job_id)
        assert job is not None
        return job


def test_a_bulk_connect_killed_mid_way_resumes_from_its_progress(sim, office):
    seeded = seed_clients(sim, office, ["healthy"] * 8)
    for name, client_id in seeded.ids.items():
        credentials.add_ksef_token(actor=office.support, client_id=client_id, token=seeded.token(name))
    names = sorted(seeded.ids)
    fast, slow = names[:3], names[3:]
    for name in slow:  # these are still connecting when the worker dies
        sim.set_faults(seeded.nips[name], latencyMs=20_000)
    job_id = links.start_bulk_connect(actor=office.support, client_ids=sorted(seeded.ids.values()), request=TOKEN)
    worker = subprocess.Popen(
        [sys.executable, "-m", "core.jobs.worker", "--no-scheduler", "--concurrency", "1"], env={**os.environ}
    )
    try:
        deadline = time.monotonic() + 60
        while _job(job_id).progress_done < len(fast) and time.monotonic() < deadline:
            time.sleep(0.1)
        running = _job(job_id)
        assert running.status == JobStatus.running and running.progress_total == len(names)  # progress shows
    finally:
        worker.kill()
        worker.wait()
    done_before = set(queue.get_job(job_id).result["clients"]) if running.result else set()
    assert {str(seeded.ids[n]) for n in fast} <= done_before and len(done_before) < len(names)

    sim.clear_faults()
    with db.session_scope(write=True) as session:  # the dead worker's lease runs out
        session.execute(sa.update(JobRun).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    queue.reap_expired()
    assert _job(job_id).status == JobStatus.pending  # not buried as "lease expired"
    drain()
    job = _job(job_id)
    assert job.status == JobStatus.done and job.progress_done == len(names)
    with db.session_scope() as session:
        statuses = set(session.execute(sa.select(Client.link_status)).scalars())
        attempts = session.execute(
            sa.select(AuditEvent.target, sa.func.count())
            .where(AuditEvent.action == "link.connect")
            .group_by(AuditEvent.target)
        ).all()
    assert statuses == {LinkStatus.linked}
    attempts_by_client = dict(attempts)
    for name in fast:  # connected before the crash: never attempted again
        assert attempts_by_client[f"client:{seeded.ids[name]}"] == 1
    assert set(attempts_by_client) == {f"client:{i}" for i in seeded.ids.values()}
