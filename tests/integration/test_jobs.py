"""The job queue on SQLite and PostgreSQL, and real worker processes draining it."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import db
from core.jobs import queue
from core.jobs.scheduler import LeaderElection
from core.jobs.worker import drain
from core.models import JobRun
from core.types import utcnow


def _set(job_id: int, **values) -> None:
    with db.session_scope(write=True) as session:
        session.execute(sa.update(JobRun).where(JobRun.id == job_id).values(**values))


def test_idempotency_key_keeps_one_job(any_db):
    first = queue.enqueue("ping", subject="client:1", period="2026-11-22T10:00")
    again = queue.enqueue("ping", subject="client:1", period="2026-11-22T10:00")
    other = queue.enqueue("ping", subject="client:1", period="2026-11-22T10:15")
    assert first == again != other


def test_a_claimed_job_is_not_claimed_again(any_db):
    queue.enqueue("ping", period="a")
    first = queue.claim("w1", limit=5)
    assert [j.attempts for j in first] == [1]
    assert queue.claim("w2", limit=5) == []


def test_claim_respects_run_after_priority_and_kinds(any_db):
    later = queue.enqueue("ping", period="later", run_after=utcnow() + timedelta(hours=1))
    low = queue.enqueue("ping", period="low")
    high = queue.enqueue("ping", period="high", priority=5)
    other = queue.enqueue("housekeeping", period="x")
    assert [j.id for j in queue.claim("w", limit=1, kinds=["ping"])] == [high]
    assert [j.id for j in queue.claim("w", limit=10, kinds=["ping"])] == [low]
    assert [j.id for j in queue.claim("w", limit=10)] == [other]
    assert later not in [j.id for j in queue.claim("w", limit=10)]


def test_non_urgent_work_can_be_held_back(any_db):
    queue.enqueue("ping", period="backfill", urgent=False)
    assert queue.claim("w", include_non_urgent=False) == []
    assert len(queue.claim("w", include_non_urgent=True)) == 1


def test_failures_back_off_then_go_dead(any_db):
    job_id = queue.enqueue("ping", period="f", max_attempts=2)
    queue.claim("w")
    assert queue.fail(job_id, "w", "timeout") == "pending"
    job = queue.get_job(job_id)
    assert job.run_after > utcnow() + timedelta(seconds=3) and job.error == "timeout"
    _set(job_id, run_after=utcnow())
    queue.claim("w")
    assert queue.fail(job_id, "w", "timeout again") == "dead"
    assert queue.get_job(job_id).finished_at is not None


def test_only_the_lease_owner_completes(any_db):
    job_id = queue.enqueue("ping", period="o")
    queue.claim("w1")
    assert not queue.complete(job_id, "w2")
    assert queue.renew_lease(job_id, "w1")
    assert queue.complete(job_id, "w1", {"ok": True})
    assert queue.get_job(job_id).result == {"ok": True}


def test_reaper_returns_jobs_of_dead_workers(any_db):
    job_id = queue.enqueue("ping", period="r")
    queue.claim("w1", lease_seconds=60)
    _set(job_id, lease_expires_at=utcnow() - timedelta(seconds=1))
    assert queue.reap_expired() == 1
    assert queue.get_job(job_id).status == "pending"
    assert not queue.renew_lease(job_id, "w1")  # the old worker learns it lost the job
    assert [j.id for j in queue.claim("w2")] == [job_id]


def test_cancel_and_progress(any_db):
    job_id = queue.enqueue("ping", period="c")
    queue.set_progress(job_id, 3, 10)
    assert (queue.get_job(job_id).progress_done, queue.get_job(job_id).progress_total) == (3, 10)
    assert queue.cancel(job_id)
    assert queue.claim("w") == []


def test_unknown_kinds_die_and_bugs_are_retried(any_db):
    unknown = queue.enqueue("no-such-kind", period="u")
    drain()
    assert queue.get_job(unknown).status == "dead"


def test_exactly_one_scheduler_leads(any_db):
    elections = [LeaderElection(f"worker-{n}") for n in range(3)]
    leaders = [e.try_lead() for e in elections]
    assert leaders.count(True) == 1
    winner = elections[leaders.index(True)]
    assert winner.try_lead()  # renewing keeps it
    winner.release()
    assert [e.try_lead() for e in elections if e is not winner].count(True) == 1
    for election in elections:
        election.release()


def _start_workers(count: int, trace: str, env_url: str) -> list[subprocess.Popen]:
    env = {**os.environ, "KSEF_CONSOLE_DATABASE_URL": env_url, "KSEF_CONSOLE_JOB_TRACE": trace}
    return [
        subprocess.Popen(
            [sys.executable, "-m", "core.jobs.worker", "--concurrency", "4", "--no-scheduler"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(count)
    ]


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


def _count(status: str) -> int:
    with db.session_scope() as session:
        return session.execute(sa.select(sa.func.count()).where(JobRun.status == status)).scalar_one()


def _wait_until_started(worker: subprocess.Popen) -> None:
    for raw in worker.stderr:
        if b"started" in raw:
            return
    raise AssertionError("worker exited before it started")


@pytest.mark.slow
def test_four_worker_processes_drain_two_thousand_jobs_exactly_once(any_db, tmp_path):
    trace = tmp_path / "trace.tsv"
    workers = _start_workers(4, str(trace), any_db)
    for worker in workers:
        _wait_until_started(worker)
    with db.session_scope(write=True) as session:  # all at once, so that every worker competes from the start
        session.add_all(JobRun(kind="ping", period=f"p{n}", max_attempts=1) for n in range(2000))
    with db.session_scope() as session:
        job_ids = set(session.execute(sa.select(JobRun.id)).scalars())
    try:
        drained = _wait_for(lambda: _count("done") == 2000, timeout=240)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        errors = [w.communicate(timeout=30)[1].decode() for w in workers]
    assert drained, f"not drained: {_count('done')} done, {_count('pending')} pending; {errors}"
    executions = Counter(int(line.split("\t")[0]) for line in trace.read_text().splitlines())
    assert set(executions) == job_ids, "lost jobs"
    assert max(executions.values()) == 1, "a job ran twice"
    with db.session_scope() as session:
        attempts = session.execute(sa.select(JobRun.attempts).distinct()).scalars().all()
        owners = session.execute(sa.select(sa.func.count(sa.distinct(JobRun.lease_owner)))).scalar_one()
    assert attempts == [1]
    assert owners == 4, "every worker took part"


@pytest.mark.slow
def test_a_killed_worker_s_job_is_finished_by_another(sqlite_db, tmp_path):
    """SIGKILL mid-lease: the reaper gives the job to the next worker; nothing is lost."""
    job_id = queue.enqueue("ping", period="k", max_attempts=3)
    queue.claim("killed-worker", lease_seconds=1)  # as if a worker took it and died
    time.sleep(1.2)
    workers = _start_workers(1, str(tmp_path / "t.tsv"), sqlite_db)
    try:
        assert _wait_for(lambda: queue.get_job(job_id).status == "done", timeout=60)
    finally:
        workers[0].kill()
        workers[0].wait()
    assert queue.get_job(job_id).attempts == 2
