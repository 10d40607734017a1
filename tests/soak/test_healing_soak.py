"""Self-healing figures (issue 10, `make soak`): the console converges by itself, with its worker and its schedule and
no manual step, after KSeF faults ("chaos") and after its worker is killed ("crash")."""

from __future__ import annotations

import os
import time

from core.jobs import queue
from core.jobs.kinds import BulkLinkResult
from core.services.jobs import job_progress
from core.services.linking.links import LinkRequest, bulk_connect, start_bulk_connect
from core.types import AuthMethod, JobStatus, LinkStatus
from tests.soak.conftest import INTERVAL, Console, Workers, figure, wait_until

OUTAGE = int(os.environ.get("KSEF_SOAK_OUTAGE", "120"))  # seconds
MIXED = int(os.environ.get("KSEF_SOAK_MIXED", "150"))  # seconds of 10 % 5xx, 5 % timeouts, 5 % drops
STORM = int(os.environ.get("KSEF_SOAK_STORM", "30"))  # seconds of 429 to everything
TOKEN = LinkRequest(AuthMethod.ksef_token)


def _converged(console: Console) -> bool:
    return console.open_problems() == 0 and console.usage_mismatch() == 0 and console.missing() == 0


def _new_invoices(console: Console, per_client: int = 2) -> None:
    assert console.nips is not None
    for nip in console.nips.values():
        console.admin.generate_invoices(nip, per_client, "both", spread_days=0.001)


def test_chaos(console: Console) -> None:
    console.office()
    assert console.actor is not None and console.nips is not None
    linked = bulk_connect(actor=console.actor, client_ids=sorted(console.nips), request=TOKEN)
    assert linked.ok == len(console.nips), linked.failed
    console.raise_limits()
    workers = Workers(console.data / "worker.log")
    workers.start()
    try:
        assert wait_until(lambda: console.missing() == 0, 4 * INTERVAL + 120) is not None, "the first syncs"
        console.admin.set_faults(errorRate=0.10, timeoutRate=0.05, dropRate=0.05)
        for _ in range(max(1, MIXED // 30)):  # new invoices keep arriving through the faults
            _new_invoices(console)
            time.sleep(30)
        console.admin.set_faults(rateLimitStormSeconds=STORM)
        _new_invoices(console)
        time.sleep(STORM)
        console.admin.set_faults(unavailableSeconds=OUTAGE)
        _new_invoices(console)
        time.sleep(OUTAGE)
        console.admin.clear_faults()
        faulted = console.open_problems()
        took = wait_until(lambda: _converged(console), 2 * INTERVAL, every=5)
        missing, usage, still_open = console.missing(), console.usage_mismatch(), console.open_problems()
    finally:
        workers.stop()
    note = (
        f"{len(console.nips)} clients, interval {INTERVAL} s (scaled), mixed faults {MIXED} s, 429 storm {STORM} s, "
        f"outage {OUTAGE} s; problems open when faults stopped {faulted}; statuses {console.link_statuses()}"
    )
    met = [
        figure(
            "chaos_converged_seconds", round(took, 1) if took is not None else float("inf"), "<=", 2 * INTERVAL, note
        ),
        figure("chaos_missing_invoices", missing, "==", 0),
        figure("chaos_usage_miscounted", usage, "==", 0),
        figure("chaos_problems_left_open", still_open, "==", 0),
    ]
    assert all(met)


def test_crash(console: Console) -> None:
    console.office()
    assert console.actor is not None and console.nips is not None
    workers = Workers(console.data / "worker.log", lease_seconds=20)
    console.admin.set_faults(latencyMs=300)  # a bulk connect long enough to be killed three times
    job_id = start_bulk_connect(actor=console.actor, client_ids=sorted(console.nips), request=TOKEN)
    total = len(console.nips)
    try:
        workers.start()
        for share in (0.2, 0.45, 0.7):
            wait_until(lambda share=share: (queue.get_job(job_id).progress_done or 0) >= share * total, 600, every=0.5)
            workers.kill()
            workers.start()
        connect_took = wait_until(lambda: job_progress(actor=console.actor, job_id=job_id).finished, 600, every=2)
        result = job_progress(actor=console.actor, job_id=job_id, result=BulkLinkResult)
        console.admin.clear_faults()
        console.raise_limits()
        _new_invoices(console, 3)
        started_kills = workers.kills
        time.sleep(INTERVAL / 3)  # the fleet sync is under way
        for _ in range(3):
            workers.kill()
            workers.start()
            time.sleep(INTERVAL / 3)
        synced = wait_until(lambda: _converged(console), 4 * INTERVAL + 120, every=5)
    finally:
        workers.stop()
    linked = console.link_statuses().get(LinkStatus.linked, 0)
    ok = result.result.ok if result.result is not None else 0
    met = [
        figure(
            "crash_bulk_connect_linked",
            linked,
            "==",
            total,
            f"{workers.kills} SIGKILLs in all, 3 during the connect (job {result.status}, ok {ok}, "
            f"{round(connect_took or -1)} s)",
        ),
        figure("crash_bulk_connect_job_done", int(result.status == JobStatus.done), "==", 1),
        figure(
            "crash_fleet_sync_converged_seconds",
            round(synced, 1) if synced is not None else float("inf"),
            "<=",
            4 * INTERVAL + 120,
            f"{workers.kills - started_kills} SIGKILLs during the fleet sync; interval {INTERVAL} s",
        ),
        figure("crash_missing_invoices", console.missing(), "==", 0),
        figure("crash_usage_miscounted", console.usage_mismatch(), "==", 0),
    ]
    assert all(met)
