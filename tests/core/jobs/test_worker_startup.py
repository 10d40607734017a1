"""Worker start-up (issue 10 #5): a fresh interpreter with jobs already waiting runs them without an import race.

Twenty fresh worker processes (four at a time, five rounds) start with sync and link-verify jobs waiting against the
simulator: no job ends with an ImportError, a half-initialised module or a KeyError from the import machinery."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from uuid import uuid4

import pytest
import sqlalchemy as sa

from core import db
from core.jobs.kinds import PING, SYNC, NoPayload, SyncPayload
from core.jobs.queue import start_job
from core.models import JobRun
from core.services.linking.links import start_bulk_verify
from core.types import JobStatus
from tests.linking import link_with_token
from tests.simulated import seed_clients

STARTS = 20
AT_ONCE = 4
IMPORT_RACE = re.compile(r"ImportError|ModuleNotFoundError|partially initialized|KeyError|cannot import name")


def _start_worker(url: str) -> tuple[subprocess.Popen[bytes], list[bytes]]:
    env = {**os.environ, "KSEF_CONSOLE_DATABASE_URL": url}
    worker = subprocess.Popen(
        [sys.executable, "-m", "core.jobs.worker", "--concurrency", "8", "--no-scheduler"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    lines: list[bytes] = []
    assert worker.stderr is not None
    threading.Thread(target=lambda: lines.extend(worker.stderr), daemon=True).start()  # type: ignore[arg-type]
    return worker, lines


def _open_jobs(ids: list[int]) -> int:
    """Jobs not yet run once to an end of their attempt (a retry waiting for later counts as run)."""
    with db.session_scope() as session:
        rows = session.execute(sa.select(JobRun.status, JobRun.attempts).where(JobRun.id.in_(ids))).all()  # type: ignore[attr-defined]
    return sum(1 for status, attempts in rows if status == JobStatus.running or attempts == 0)


def _queue_round(office, client_ids: list[int]) -> list[int]:
    ids = [start_bulk_verify(actor=office.support, client_ids=client_ids)]
    with db.session_scope(write=True) as session:
        for client_id in client_ids:
            job = start_job(session, office.support, SYNC, SyncPayload(client_id=client_id), action="sync.request")
            ids.append(job.id)
            session.execute(sa.update(JobRun).where(JobRun.id == job.id).values(max_attempts=1))  # no retry later
        ids += [start_job(session, office.support, PING, NoPayload(), period=f"{uuid4()}").id for _ in range(AT_ONCE)]
    return ids


@pytest.mark.slow
def test_twenty_fresh_workers_run_waiting_jobs_without_an_import_race(sim, office, sqlite_db):
    seeded = seed_clients(sim, office, ["healthy", "no_invoices"])
    for name in seeded.ids:
        link_with_token(seeded, name)
    client_ids = list(seeded.ids.values())
    all_ids: list[int] = []
    logs: list[str] = []
    for _ in range(STARTS // AT_ONCE):
        round_ids = _queue_round(office, client_ids)
        all_ids += round_ids
        workers = [_start_worker(sqlite_db) for _ in range(AT_ONCE)]
        deadline = time.monotonic() + 60
        while _open_jobs(round_ids) and time.monotonic() < deadline:
            time.sleep(0.2)
        for worker, _ in workers:
            worker.send_signal(signal.SIGTERM)
        for worker, lines in workers:
            worker.wait(timeout=30)
            logs.append(b"".join(lines).decode(errors="replace"))
        assert _open_jobs(round_ids) == 0, logs[-AT_ONCE:]
    with db.session_scope() as session:
        ended = session.execute(sa.select(JobRun.error, JobRun.result).where(JobRun.id.in_(all_ids))).all()  # type: ignore[attr-defined]
    raced = [f"{error} {result}" for error, result in ended if IMPORT_RACE.search(f"{error} {result}")]
    raced += [log for log in logs if IMPORT_RACE.search(log)]
    assert raced == []


def _lazy_imports() -> set[str]:
    """Every module `core` imports inside a function (outside the migrations): what a worker thread could be first
    to import."""
    import ast
    from pathlib import Path

    import core

    found: set[str] = set()
    for path in Path(core.__path__[0]).rglob("*.py"):
        # The demo's mail catcher and the intake server (uvicorn) are programs of their own, never run by a job.
        if "migrations" in path.parts or path.name == "mailcatcher.py" or path.parts[-2:] == ("cli", "intake.py"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                for node in ast.walk(function):
                    if isinstance(node, ast.Import):
                        found.update(alias.name for alias in node.names)
                    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                        found.add(node.module)
    return found


def test_preload_imports_everything_a_job_imports_lazily():
    """In a fresh interpreter, `preload()` (run before the worker's threads start) leaves no lazy import to race."""
    lazy = sorted(_lazy_imports())
    assert "openpyxl" in lazy  # the scan sees function-level imports
    script = (
        "import sys, json; from core.jobs.worker import preload; preload(); "
        f"print(json.dumps([m for m in {lazy!r} if m not in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"
