"""Fleet benchmarks (`make bench`, never `make test`): connecting and syncing many clients against the simulator.

1. Connect 200 clients with 20 ms added latency: wall time against the 60 s target, progress sampled every second.
2. One full fleet sync of 300 linked clients with new invoices, production rate limits and 50 ms added latency:
   the wall time, the critical-path bound measured in the same run (the slowest of a few clients synced alone), the
   same work done client after client, the ratios and the number of 429 responses.

Each prints its figures; nothing here asserts a time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from core import db
from core.jobs import queue
from core.jobs.kinds import SYNC, BulkLinkResult, SyncPayload
from core.models import ClientCreate, JobRun, UserCreate
from core.security import Actor
from core.services.clients.register import insert_client
from core.services.jobs import job_progress
from core.services.linking.credentials import insert_token
from core.services.linking.links import LinkRequest, start_bulk_connect
from core.services.office import create_office
from core.services.sync.engine import sync_client
from core.services.users import create_user
from core.settings import reload_settings
from core.types import AuthMethod, utcnow
from simulator.invoicegen import random_nip
from simulator.testing import SimAdmin, SimProcess

OFFICE_NIP = "5265877635"
WORKER_PROCESSES = int(os.environ.get("KSEF_BENCH_WORKERS", "1"))  # SQLite: one writer process does best
WORKER_CONCURRENCY = int(os.environ.get("KSEF_BENCH_THREADS", "64"))


def _say(text: str) -> None:
    print(text, flush=True)


@pytest.fixture
def console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[SimProcess, SimAdmin]]:
    with SimProcess() as sim, SimAdmin(sim.url) as admin:
        monkeypatch.setenv("KSEF_CONSOLE_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("KSEF_CONSOLE_DATABASE_URL", f"sqlite:///{tmp_path / 'console.db'}")
        monkeypatch.setenv("KSEF_CONSOLE_SIM_URL", sim.url)
        monkeypatch.setenv("KSEF_CONSOLE_WORKER_CONCURRENCY", str(WORKER_CONCURRENCY))
        monkeypatch.delenv("KSEF_CONSOLE_MASTER_KEY", raising=False)
        reload_settings()
        db.set_engine(None)
        db.upgrade()
        yield sim, admin
        db.set_engine(None)


def _office_with_clients(admin: SimAdmin, count: int) -> tuple[Actor, list[int]]:
    import random

    rng = random.Random(count)
    nips = sorted({random_nip(rng) for _ in range(count * 2)} - {OFFICE_NIP})[:count]
    seeded = admin.seed(
        OFFICE_NIP, "Biuro Bench", [{"nip": n, "name": f"Firma {n}", "scenario": "healthy"} for n in nips], 2
    )
    tokens = {c["nip"]: c["ksefToken"] for c in seeded["clients"]}
    ids = []
    with db.session_scope(write=True) as session:
        office = create_office(session, name="Biuro Bench", nip=OFFICE_NIP, account_id="BR-BENCH")
        office.schedule = {"backfill_from": (utcnow() - timedelta(days=85)).isoformat()}
        user = create_user(
            session, office_id=office.id, data=UserCreate(username="bench", role="manager", password="x" * 10)
        )
        for nip in nips:
            client = insert_client(session, office=office, data=ClientCreate(nip=nip, name=f"Firma {nip}"))
            insert_token(session, office_id=office.id, client=client, token=tokens[nip])
            ids.append(client.id)
        actor = Actor(username=user.username, role="manager", office_id=office.id, user_id=user.id)
    return actor, ids


class Workers:
    """Worker processes as in production (`python -m core.jobs.worker`), with the benchmark's environment."""

    def __init__(self, count: int = WORKER_PROCESSES) -> None:
        self.processes = [
            subprocess.Popen([sys.executable, "-m", "core.jobs.worker", "--no-scheduler"], env={**os.environ},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(count)
        ]  # fmt: skip

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=30)


def _wait_for(job_ids: list[int], *, sample: float = 1.0, limit: float = 1800) -> tuple[float, list[tuple[float, int]]]:
    """Wall time until every job is finished, and the progress seen every `sample` seconds."""
    started = time.monotonic()
    samples: list[tuple[float, int]] = []
    while time.monotonic() - started < limit:
        with db.session_scope() as session:
            rows = session.execute(
                sa.select(JobRun.status, JobRun.progress_done).where(JobRun.id.in_(job_ids))  # type: ignore[attr-defined]
            ).all()
        done = sum(1 for status, _ in rows if status in ("done", "dead"))
        samples.append(
            (time.monotonic() - started, sum(progress for _, progress in rows) if len(job_ids) == 1 else done)
        )
        if done == len(job_ids):
            return time.monotonic() - started, samples
        time.sleep(sample)
    raise TimeoutError("jobs did not finish")


def test_connect_two_hundred_clients_with_20_ms_latency(console):
    _sim, admin = console
    actor, ids = _office_with_clients(admin, 200)
    admin.set_faults(latencyMs=20)
    admin.reset_stats()
    workers = Workers()
    try:
        job_id = start_bulk_connect(actor=actor, client_ids=ids, request=LinkRequest(AuthMethod.ksef_token))
        wall, samples = _wait_for([job_id])
    finally:
        workers.stop()
    result = job_progress(actor=actor, job_id=job_id, result=BulkLinkResult).result or BulkLinkResult()
    stats = admin.stats()
    visible = [f"{t:.0f}s:{n}" for t, n in samples]
    _say(f"\n[connect] 200 clients, 20 ms latency: {wall:.1f} s wall (target 60 s, ratio {wall / 60:.2f}); "
         f"linked {result.ok} failed {len(result.failed)}; "
         f"requests {stats['requests']}, 429s {stats['tooManyRequests']}")  # fmt: skip
    _say(f"[connect] progress every second: {' '.join(visible)}")


def _syncs(actor: Actor, ids: list[int], period: str) -> list[int]:
    with db.session_scope(write=True) as session:
        return [
            queue.start_job(session, actor, SYNC, SyncPayload(client_id=i), subject=f"client:{i}", period=period).id
            for i in ids
        ]


def _new_invoices(admin: SimAdmin, nips: list[str], per_client: int = 6) -> None:
    for nip in nips:
        admin.generate_invoices(nip, per_client, "both", spread_days=0.01)


def _nips(ids: list[int]) -> dict[int, str]:
    from core.models import Client

    with db.session_scope() as session:
        return dict(session.execute(sa.select(Client.id, Client.nip).where(Client.id.in_(ids))).all())  # type: ignore[attr-defined]


def test_fleet_sync_of_three_hundred_clients(console):
    _sim, admin = console
    actor, ids = _office_with_clients(admin, 300)
    nips = _nips(ids)
    # Set-up, not measured: link everyone and bring every HWM to now.
    workers = Workers()
    try:
        _wait_for([start_bulk_connect(actor=actor, client_ids=ids, request=LinkRequest(AuthMethod.ksef_token))])
        _wait_for(_syncs(actor, ids, "setup"))
    finally:
        workers.stop()
    admin.set_faults(latencyMs=50)

    # The bound: the slowest chain of one client synced alone, with the same new invoices, limits and latency.
    chains = []
    for client_id in ids[:3]:
        _new_invoices(admin, [nips[client_id]])
        started = time.monotonic()
        report = sync_client(actor=actor, client_id=client_id)
        chains.append(time.monotonic() - started)
        assert report.new_invoices > 0
    bound = max(chains)

    _new_invoices(admin, list(nips.values()))
    admin.reset_stats()
    workers = Workers()
    try:
        jobs = _syncs(actor, ids, "fleet")
        wall, _ = _wait_for(jobs, sample=0.2)
    finally:
        workers.stop()
    fleet_stats = admin.stats()

    _new_invoices(admin, list(nips.values()))
    started = time.monotonic()
    for client_id in ids:
        sync_client(actor=actor, client_id=client_id)
    sequential = time.monotonic() - started
    stats = admin.stats()

    _say(
        f"\n[sync] 300 clients, production limits, 50 ms latency, "
        f"{WORKER_PROCESSES} workers × {WORKER_CONCURRENCY} threads:"
    )
    _say(
        f"[sync] fleet wall {wall:.1f} s; critical-path bound {bound:.2f} s "
        f"(chains {', '.join(f'{c:.2f}' for c in chains)})"
    )
    _say(f"[sync] ratio wall/bound {wall / bound:.1f} (goal ≤ 1.5); client after client {sequential:.1f} s, "
         f"speed-up {sequential / wall:.1f}× (goal ≥ 20×)")  # fmt: skip
    refused = {group: v["tooManyRequests"] for group, v in stats["byGroup"].items() if v["tooManyRequests"]}
    _say(f"[sync] 429 responses: fleet {fleet_stats['tooManyRequests']} of {fleet_stats['requests']} requests; "
         f"whole benchmark {stats['tooManyRequests']} (by group: {refused})")  # fmt: skip
