"""The job queue on SQLite and PostgreSQL, and real worker processes draining it."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

import core.jobs.tasks  # noqa: F401 - binds the real bodies first, so a test can replace one
from core import db
from core.errors import InvalidInput
from core.jobs import queue
from core.jobs.kinds import NoPayload, PingResult
from core.jobs.registry import TASKS, Task
from core.jobs.scheduler import LeaderElection
from core.jobs.spec import TRANSIENT, JobSpec, RetryPolicy
from core.jobs.worker import drain
from core.ksef.errors import KsefFailure
from core.models import JobRun
from core.security import Permission
from core.types import ProblemClass, utcnow


def _set(job_id: int, **values) -> None:
    with db.session_scope(write=True) as session:
        session.execute(sa.update(JobRun).where(JobRun.id == job_id).values(**values))


def _insert(kind: str = "ping", **values) -> int:
    with db.session_scope(write=True) as session:
        return queue.insert(session, kind=kind, **values).id


def _fail(job_id: int, worker: str, error: str, retry_in: float | None = None) -> str:
    with db.session_scope(write=True) as session:
        return queue.fail(session, job_id, worker, error, retry_in=retry_in)


def test_a_period_slot_keeps_one_job(any_db):
    first = _insert(subject="client:1", period="2026-11-22T10:00")
    again = _insert(subject="client:1", period="2026-11-22T10:00")
    other = _insert(subject="client:1", period="2026-11-22T10:15")
    assert first == again != other
    assert _insert(subject="client:1") != _insert(subject="client:1")  # without a period, every job stands alone


def test_a_dedup_key_allows_one_pending_or_running_job(any_db):
    first = _insert("sync", dedup_key="sync:client:1")
    assert _insert("sync", dedup_key="sync:client:1") == first
    assert _insert("sync", dedup_key="sync:client:2") != first
    queue.claim("w", job_id=first)
    assert _insert("sync", dedup_key="sync:client:1") == first  # running counts too
    with db.session_scope(write=True) as session:
        queue.complete(session, first, "w", {})
    later = _insert("sync", dedup_key="sync:client:1")  # once it has ended, the next one is new
    assert later != first
    with db.session_scope() as session:
        statuses = session.execute(sa.select(JobRun.status).where(JobRun.dedup_key == "sync:client:1")).scalars()
        assert sorted(statuses) == ["done", "pending"]


def test_concurrent_starts_with_one_dedup_key_make_one_job(any_db):
    """Eight transactions at once (PostgreSQL: truly parallel, held apart only by the partial unique index)."""
    barrier = threading.Barrier(8)

    def start(_: int) -> int:
        barrier.wait()
        return _insert("sync", dedup_key="sync:client:9")

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(start, range(8)))
    assert len(ids) == 1
    with db.session_scope() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(JobRun)).scalar_one() == 1


def test_a_claimed_job_is_not_claimed_again(any_db):
    _insert(period="a")
    first = queue.claim("w1", limit=5)
    assert [j.attempts for j in first] == [1]
    assert queue.claim("w2", limit=5) == []


def test_claim_respects_run_after_priority_and_kinds(any_db):
    later = _insert(period="later", run_after=utcnow() + timedelta(hours=1))
    low = _insert(period="low")
    high = _insert(period="high", priority=5)
    other = _insert("housekeeping", period="x")
    assert [j.id for j in queue.claim("w", limit=1, kinds=["ping"])] == [high]
    assert [j.id for j in queue.claim("w", limit=10, kinds=["ping"])] == [low]
    assert [j.id for j in queue.claim("w", limit=10)] == [other]
    assert later not in [j.id for j in queue.claim("w", limit=10)]


def test_non_urgent_work_can_be_held_back(any_db):
    _insert(period="backfill", urgent=False)
    assert queue.claim("w", include_non_urgent=False) == []
    assert len(queue.claim("w", include_non_urgent=True)) == 1


def test_failures_back_off_then_go_dead(any_db):
    job_id = _insert(period="f", max_attempts=2)
    queue.claim("w")
    assert _fail(job_id, "w", "timeout", retry_in=5.0) == "pending"
    job = queue.get_job(job_id)
    assert job.run_after > utcnow() + timedelta(seconds=3) and job.error == "timeout"
    _set(job_id, run_after=utcnow())
    queue.claim("w")
    assert _fail(job_id, "w", "timeout again", retry_in=5.0) == "dead"
    assert queue.get_job(job_id).finished_at is not None


def test_backoff_doubles_up_to_its_cap():
    policy = RetryPolicy(attempts=20, backoff_base=5.0, backoff_cap=60.0)
    assert 4.0 <= policy.delay(1) <= 6.0 and 8.0 <= policy.delay(2) <= 12.0
    assert policy.delay(15) <= 72.0


def test_only_the_lease_owner_completes(any_db):
    job_id = _insert(period="o")
    queue.claim("w1")
    with db.session_scope(write=True) as session:
        assert not queue.complete(session, job_id, "w2", {})
    assert queue.renew_lease(job_id, "w1")
    with db.session_scope(write=True) as session:
        assert queue.complete(session, job_id, "w1", {"ok": True})
    assert queue.get_job(job_id).result == {"ok": True}


def test_reaper_returns_jobs_of_dead_workers(any_db):
    job_id = _insert(period="r", max_attempts=3)
    queue.claim("w1", lease_seconds=60)
    _set(job_id, lease_expires_at=utcnow() - timedelta(seconds=1))
    assert queue.reap_expired() == 1
    assert queue.get_job(job_id).status == "pending"
    assert not queue.renew_lease(job_id, "w1")  # the old worker learns it lost the job
    assert [j.id for j in queue.claim("w2")] == [job_id]


def test_cancel_and_progress(any_db):
    job_id = _insert(period="c")
    queue.set_progress(job_id, 3, 10)
    assert (queue.get_job(job_id).progress_done, queue.get_job(job_id).progress_total) == (3, 10)
    assert queue.cancel(job_id)
    assert queue.claim("w") == []


def test_unknown_kinds_die(any_db):
    unknown = _insert("no-such-kind", period="u", max_attempts=3)
    drain()
    assert queue.get_job(unknown).status == "dead"


FLAKY = JobSpec("ping", NoPayload, PingResult, Permission.view, RetryPolicy(attempts=3, retry_on=TRANSIENT))


@pytest.mark.parametrize(
    ("failure", "status"),
    [
        (KsefFailure(ProblemClass.network, "brak sieci"), "pending"),
        (KsefFailure(ProblemClass.rate_limited, "za dużo zapytań", retry_after=1.0), "pending"),
        (KsefFailure(ProblemClass.ksef_unavailable, "KSeF nie działa"), "pending"),
        (RuntimeError("a bug"), "pending"),  # unexpected: the `internal` class
        (KsefFailure(ProblemClass.missing_rights, "brak uprawnień"), "dead"),
        (KsefFailure(ProblemClass.invalid_credentials, "zły token"), "dead"),
        (KsefFailure(ProblemClass.wrong_company_key, "zły klucz"), "dead"),
        (KsefFailure(ProblemClass.auth_required, "niepołączony"), "dead"),
        (InvalidInput("zły plik"), "dead"),
    ],
)
def test_the_worker_retries_by_the_kind_s_policy_and_the_failure_class(sqlite_db, monkeypatch, failure, status):
    def body(context):
        raise failure

    monkeypatch.setitem(TASKS, "ping", Task(FLAKY, body))
    job_id = _insert(period="p", max_attempts=3)
    assert drain() == 1
    job = queue.get_job(job_id)
    assert (job.status, job.attempts) == (status, 1)
    assert job.error.endswith(str(failure))
    if status == "pending":
        expected = 1.0 if isinstance(failure, KsefFailure) and failure.retry_after else 4.0
        assert job.run_after >= utcnow() + timedelta(seconds=expected - 0.5)


def test_out_of_attempts_a_retryable_failure_buries_the_job(sqlite_db, monkeypatch):
    def body(context):
        raise KsefFailure(ProblemClass.network, "brak sieci")

    monkeypatch.setitem(TASKS, "ping", Task(FLAKY, body))
    job_id = _insert(period="p", max_attempts=3)
    for _ in range(3):
        _set(job_id, run_after=utcnow())
        drain()
    assert (queue.get_job(job_id).status, queue.get_job(job_id).attempts) == ("dead", 3)


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


def _wait_until_started(worker: subprocess.Popen) -> list[bytes]:
    """Block until the worker says it started; then keep reading its stderr in a thread (a full pipe would stall a
    worker that logs), returning the list the lines collect in."""
    lines: list[bytes] = []
    for raw in worker.stderr:
        lines.append(raw)
        if b"started" in raw:
            threading.Thread(target=lambda: lines.extend(worker.stderr), daemon=True).start()
            return lines
    raise AssertionError("worker exited before it started")


@pytest.mark.slow
def test_four_worker_processes_drain_two_thousand_jobs_exactly_once(any_db, tmp_path):
    trace = tmp_path / "trace.tsv"
    workers = _start_workers(4, str(trace), any_db)
    logs = [_wait_until_started(worker) for worker in workers]
    with db.session_scope(write=True) as session:  # all at once, so that every worker competes from the start
        session.add_all(JobRun(kind="ping", period=f"p{n}", max_attempts=1) for n in range(2000))
    with db.session_scope() as session:
        job_ids = set(session.execute(sa.select(JobRun.id)).scalars())
    try:
        drained = _wait_for(lambda: _count("done") == 2000, timeout=240)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=30)
    errors = [b"".join(lines).decode(errors="replace")[-2000:] for lines in logs]
    assert drained, f"not drained: {_count('done')} done, {_count('pending')} pending; {errors}"
    executions = Counter(int(line.split("\t")[0]) for line in trace.read_text().splitlines())
    assert set(executions) == job_ids, "lost jobs"
    assert max(executions.values()) == 1, "a job ran twice"
    with db.session_scope() as session:
        attempts = session.execute(sa.select(JobRun.attempts).distinct()).scalars().all()
        owners = session.execute(sa.select(sa.func.count(sa.distinct(JobRun.lease_owner)))).scalar_one()
    assert attempts == [1]
    assert owners == 4, f"every worker took part; {errors}"


@pytest.mark.slow
def test_a_killed_worker_s_job_is_finished_by_another(sqlite_db, tmp_path):
    """SIGKILL mid-lease: the reaper gives the job to the next worker; nothing is lost."""
    job_id = _insert(period="k", max_attempts=3)
    queue.claim("killed-worker", lease_seconds=1)  # as if a worker took it and died
    time.sleep(1.2)
    workers = _start_workers(1, str(tmp_path / "t.tsv"), sqlite_db)
    try:
        assert _wait_for(lambda: queue.get_job(job_id).status == "done", timeout=60)
    finally:
        workers[0].kill()
        workers[0].wait()
    assert queue.get_job(job_id).attempts == 2


def test_a_finished_job_frees_its_thread_at_once_not_at_the_next_poll(sqlite_db, monkeypatch):
    """With one thread and a poll of two minutes, three jobs run one after another within seconds: the end of a job
    wakes the claim loop (before, the freed thread waited for the next poll)."""
    from core.jobs import worker as worker_module

    monkeypatch.setattr(worker_module, "POLL_SECONDS", 120.0)
    job_ids = [_insert(period=f"p{n}") for n in range(3)]
    worker = worker_module.Worker(concurrency=1, with_scheduler=False)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and any(queue.get_job(i).status != "done" for i in job_ids):
            time.sleep(0.1)
        assert [queue.get_job(i).status for i in job_ids] == ["done"] * 3
    finally:
        worker.shut_down()
        thread.join(timeout=30)
    assert not thread.is_alive()  # shut_down wakes the loop too: it does not sleep out its poll
