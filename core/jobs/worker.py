"""The worker process: claims jobs and runs them; the elected one also runs the scheduler.

    python -m core.jobs.worker [--concurrency N] [--no-scheduler]

Any number of workers may run against one database; each claims with the queue's single UPDATE … RETURNING.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import signal
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from core import audit, db
from core.errors import ServiceError
from core.jobs import queue
from core.jobs.queue import DEFAULT_LEASE_SECONDS, ClaimedJob
from core.jobs.registry import TASKS, JobContext, JobFailed, Task, failure_class
from core.jobs.spec import JobSpec, audit_details, to_json
from core.ksef.errors import KsefFailure
from core.security import Actor
from core.services.users import actor_for
from core.settings import get_settings
from core.texts import Text
from core.types import JobStatus, ProblemClass

log = logging.getLogger("ksef_console.worker")
REAP_EVERY_SECONDS = 15.0
POLL_SECONDS = 0.5


def _trace(job: ClaimedJob, worker_id: str) -> None:
    """With KSEF_CONSOLE_JOB_TRACE set, append one line per execution (used to prove exactly-once draining)."""
    path = os.environ.get("KSEF_CONSOLE_JOB_TRACE")
    if path:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{job.id}\t{job.kind}\t{worker_id}\n".encode())
        finally:
            os.close(fd)


def run_job(job: ClaimedJob, worker_id: str) -> str:
    """Run one claimed job to its end state; returns that state.

    The worker, not the body, decides what a failure means: the kind's retry policy looks at the failure class
    (a KsefFailure's problem class; a ServiceError never retries; anything unexpected counts as `internal`).
    """
    _trace(job, worker_id)
    bound = TASKS.get(job.kind)
    if bound is None:
        return _end(job, worker_id, None, error=f"nieznany rodzaj zadania {job.kind!r}")
    spec = bound.spec
    acting: Actor | None = None
    try:
        payload = spec.read_payload(job.payload)
        acting = _acting(job, spec)
        result = bound.body(JobContext(job=job, spec=spec, payload=payload, worker_id=worker_id, acting=acting))
    except Exception as error:  # a bug in a task must not kill the worker
        if failure_class(error) == ProblemClass.internal:
            log.error("job %s (%s) failed: %s", job.id, job.kind, type(error).__name__)
            log.debug("%s", traceback.format_exc())
        message = _message(error)
        state = _end(job, worker_id, acting, error=message, retry_in=_retry_in(spec, job, error))
        if state == JobStatus.dead:
            _clean_up(bound, job, acting, message)
        return state
    return _end(job, worker_id, acting, result=result)


def _clean_up(bound: Task[Any], job: ClaimedJob, acting: Actor | None, message: str) -> None:
    """A dead job's kind may leave nothing half-done (a send batch ends its unsent invoices as failed)."""
    if bound.on_dead is None or job.office_id is None:
        return
    try:
        actor = acting or Actor.system("worker", job.office_id)
        bound.on_dead(actor, bound.spec.read_payload(job.payload), message)
    except Exception as error:
        log.error("clean-up of dead job %s (%s) failed: %s", job.id, job.kind, type(error).__name__)


def _acting(job: ClaimedJob, spec: JobSpec[Any, Any]) -> Actor | None:
    """Who the job runs as: its user, re-checked now (never the system in their place), or the system for
    scheduled work."""
    if job.created_by is None:
        return Actor.system("worker", job.office_id) if job.office_id is not None else None
    actor = actor_for(job.created_by)
    if actor is None or actor.office_id != job.office_id:
        raise JobFailed(Text("job.refused.user_gone"))
    if not actor.can(spec.permission):
        raise JobFailed(
            Text("job.refused.permission", user=actor.username, permission=Text(f"permission.{spec.permission}"))
        )
    return actor


def _message(error: Exception) -> str:
    if isinstance(error, KsefFailure | ServiceError | JobFailed):
        return str(error)
    return f"{type(error).__name__}: {error}"


def _retry_in(spec: JobSpec[Any, Any], job: ClaimedJob, error: Exception) -> float | None:
    problem_class = failure_class(error)
    if problem_class is None or not spec.retry.retries(problem_class, job.attempts):
        return None
    if isinstance(error, KsefFailure) and error.retry_after is not None:
        return error.retry_after  # KSeF said when (429 Retry-After)
    return spec.retry.delay(job.attempts)


def _end(
    job: ClaimedJob,
    worker_id: str,
    acting: Actor | None,
    *,
    result: Any = None,
    error: str = "",
    retry_in: float | None = None,
) -> str:
    """Record the attempt's end; a job a person started gets its outcome audited in the same transaction."""
    with db.session_scope(write=True) as session:
        state: str
        if not error:
            stored = to_json(result) if result is not None else {}
            state = JobStatus.done if queue.complete(session, job.id, worker_id, stored) else "lost"
        else:
            state = queue.fail(session, job.id, worker_id, error, retry_in=retry_in)
        if job.created_by is not None and job.office_id is not None and state in (JobStatus.done, JobStatus.dead):
            actor = acting or Actor.system("worker", job.office_id)
            details: dict[str, Any] = audit_details(result) if state == JobStatus.done else {"error": error[:500]}
            if acting is None:
                details["user_id"] = job.created_by  # the refused user: the worker records why it did not run
            audit.record(session, actor, f"job.{state}", f"job:{job.id}", kind=job.kind, **details)
    return state


def drain(worker_id: str = "inline", *, max_jobs: int = 10_000, kinds: list[str] | None = None) -> int:
    """Run pending jobs in this thread until none is due (tests and the CLI's `worker run-once`)."""
    import core.jobs.tasks  # noqa: F401
    from core.services.usage.hold import held_offices

    count = 0
    while count < max_jobs:
        jobs = queue.claim(worker_id, limit=1, kinds=kinds, held_offices=held_offices())
        if not jobs:
            break
        run_job(jobs[0], worker_id)
        count += 1
    return count


# Imported lazily somewhere in the job paths (function-level imports): loaded here, once, in the main thread.
LAZY_LIBRARIES = (
    "openpyxl",
    "xlsxwriter",
    "certifi",
    "cryptography.x509",
    "zipfile",
    "alembic.config",
    "alembic.command",
)


def preload() -> None:
    """Import every module a job may need before any worker thread starts (issue 10 #5): a first import racing in
    several threads can see a half-initialised module (`partially initialized module 'ksef_client.models'`,
    `KeyError: 'ksef_client'`). Everything of `core` but the migrations and the `__main__` entry points (importing one
    runs its program), and the libraries imported lazily."""
    import core

    for info in pkgutil.walk_packages(core.__path__, "core."):
        if not info.name.startswith("core.migrations") and not info.name.endswith(".__main__"):
            importlib.import_module(info.name)
    for name in LAZY_LIBRARIES:
        importlib.import_module(name)
    from core.ksef.transport import shared_transport

    # Built here, not by the first job: building it imports httpcore and reads the CA bundle, which the 300-client
    # fleet profile showed as a tenth of its jobs' CPU samples (about half a second in each worker process).
    shared_transport()


def run_now(job_id: int, worker_id: str = "inline") -> str:
    """Run one queued job in this process (the CLI's way to do a bulk operation without a worker)."""
    import core.jobs.tasks  # noqa: F401

    jobs = queue.claim(worker_id, job_id=job_id)
    return run_job(jobs[0], worker_id) if jobs else "not-pending"


class Worker:
    def __init__(self, *, concurrency: int, with_scheduler: bool = True, lease_seconds: int = DEFAULT_LEASE_SECONDS):
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.with_scheduler = with_scheduler
        self.stop = threading.Event()
        # Set when a job ends or the worker should stop: the claim loop refills a free thread at once instead of at
        # its next poll (polling alone left a finished job's thread idle for half a poll on average: in the
        # 300-client fleet sync, with every thread busy, that was a quarter of a second per client).
        self._wake = threading.Event()
        self._running: dict[int, Future[str]] = {}
        self._lock = threading.Lock()

    def run(self) -> None:
        preload()
        from core.jobs.scheduler import SchedulerSupervisor

        supervisor = SchedulerSupervisor(self.worker_id) if self.with_scheduler else None
        last_reap = 0.0
        log.info("worker %s started (concurrency %d)", self.worker_id, self.concurrency)
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="job") as pool:
            renewer = threading.Thread(target=self._renew_leases, name="lease-renewer", daemon=True)
            renewer.start()
            while not self.stop.is_set():
                if supervisor is not None:
                    supervisor.tick()
                if time.monotonic() - last_reap > REAP_EVERY_SECONDS:
                    queue.reap_expired()
                    last_reap = time.monotonic()
                if not self._claim_and_submit(pool):
                    self._wake.wait(POLL_SECONDS)
                    self._wake.clear()
            if supervisor is not None:
                supervisor.shutdown()
            log.info("worker %s stopping; waiting for %d running jobs", self.worker_id, len(self._running))
        log.info("worker %s stopped", self.worker_id)

    def _claim_and_submit(self, pool: ThreadPoolExecutor) -> bool:
        with self._lock:
            free = self.concurrency - len(self._running)
        if free <= 0:
            return False
        from core.services.usage.hold import held_offices

        jobs = queue.claim(self.worker_id, limit=free, lease_seconds=self.lease_seconds, held_offices=held_offices())
        for job in jobs:
            future = pool.submit(run_job, job, self.worker_id)
            with self._lock:
                self._running[job.id] = future
            future.add_done_callback(self._forget_when_done(job.id))
        return bool(jobs)

    def _forget_when_done(self, job_id: int) -> Callable[[Future[str]], None]:
        def forget(_future: Future[str]) -> None:
            with self._lock:
                self._running.pop(job_id, None)
            self._wake.set()

        return forget

    def shut_down(self) -> None:
        """Stop claiming; the jobs running now finish first (SIGTERM, SIGINT)."""
        self.stop.set()
        self._wake.set()

    def _renew_leases(self) -> None:
        while not self.stop.wait(self.lease_seconds / 3):
            with self._lock:
                running = list(self._running)
            for job_id in running:
                queue.renew_lease(job_id, self.worker_id, lease_seconds=self.lease_seconds)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m core.jobs.worker", description="KSeF Office Console worker")
    parser.add_argument("--concurrency", type=int, default=get_settings().worker_concurrency)
    parser.add_argument("--no-scheduler", action="store_true", help="only run jobs, never the schedule")
    parser.add_argument(
        "--lease-seconds", type=int, default=DEFAULT_LEASE_SECONDS, help="how soon a dead worker's jobs return"
    )
    args = parser.parse_args(argv)
    from core.logs import configure_logging

    configure_logging()
    db.upgrade()
    worker = Worker(
        concurrency=args.concurrency, with_scheduler=not args.no_scheduler, lease_seconds=args.lease_seconds
    )
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: worker.shut_down())
    worker.run()


if __name__ == "__main__":
    main()
