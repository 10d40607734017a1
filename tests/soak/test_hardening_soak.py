"""`make soak`, the hardening figures of issue 10 (concurrency, secrets, isolation, bad input, a killed key rotation).

Each test prints `soak: <name> <value> goal <op> <goal> met|missed` and fails when a goal is missed. Durations can be
shortened with KSEF_SOAK_SECONDS (default 180, the issue's 3 minutes)."""

from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from core import crypto, db
from core.cli import main
from core.models import ClientUpdate, Credential, JobRun
from core.settings import get_settings

CLI = str(Path(sys.executable).parent / "ksef-console")
SECONDS = float(os.environ.get("KSEF_SOAK_SECONDS", "180"))
OPS = {"==": lambda a, b: a == b, ">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b}


def figure(name: str, value: float, op: str, goal: float) -> bool:
    met = OPS[op](value, goal)
    print(f"soak: {name} {value:g} goal {op} {goal:g} {'met' if met else 'missed'}")
    return met


def _workers(count: int, url: str, trace: Path) -> list[tuple[subprocess.Popen[bytes], list[bytes]]]:
    env = {**os.environ, "KSEF_CONSOLE_DATABASE_URL": url, "KSEF_CONSOLE_JOB_TRACE": str(trace)}
    started = []
    for _ in range(count):
        worker = subprocess.Popen(
            [sys.executable, "-m", "core.jobs.worker", "--concurrency", "8"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        lines: list[bytes] = []
        threading.Thread(target=lambda w=worker, out=lines: out.extend(w.stderr), daemon=True).start()  # type: ignore[misc]
        started.append((worker, lines))
    return started


def _stop(workers: list[tuple[subprocess.Popen[bytes], list[bytes]]]) -> str:
    for worker, _ in workers:
        worker.send_signal(signal.SIGTERM)
    for worker, _ in workers:
        worker.wait(timeout=60)
    return "".join(b"".join(lines).decode(errors="replace") for _, lines in workers)


def _queue_pings(count: int) -> None:
    with db.session_scope(write=True) as session:
        session.add_all(JobRun(kind="ping", period=f"soak-{time.time_ns()}-{n}", max_attempts=1) for n in range(count))


# --- concurrency ------------------------------------------------------------------------------------------------


def test_sqlite_ui_writer_and_two_workers_never_see_a_locked_database(office, sqlite_db, tmp_path):
    """A UI-like writer (client edits, settings, imports of jobs) against two workers draining jobs, for minutes."""
    from core.services.clients.register import update_client
    from core.services.office import update_office
    from core.services.sync.request import request_sync_all
    from tests.seeding import add_clients

    client_ids = add_clients(office, 20)
    workers = _workers(2, sqlite_db, tmp_path / "trace.tsv")
    errors: list[str] = []
    writes = 0
    deadline = time.monotonic() + SECONDS
    try:
        while time.monotonic() < deadline:
            try:
                client_id = random.choice(client_ids)
                update_client(actor=office.support, client_id=client_id, data=ClientUpdate(notes=f"n{writes}"))
                if writes % 10 == 0:
                    update_office(actor=office.manager, name="Biuro Testowe", sync_interval_minutes=60,
                                  default_environment="SIM")  # fmt: skip
                    _queue_pings(10)
                    request_sync_all(actor=office.manager)
                writes += 1
            except Exception as error:
                errors.append(f"{type(error).__name__}: {error}")
    finally:
        logs = _stop(workers)
    locked = sum("database is locked" in e for e in errors) + logs.count("database is locked")
    print(f"soak: (sqlite) {writes} UI writes, {len(errors)} writer errors, {logs.count('Traceback')} tracebacks")
    with db.session_scope() as session:
        done = session.execute(sa.select(sa.func.count()).where(JobRun.status == "done")).scalar_one()
    ok = figure("sqlite_database_locked", locked, "==", 0)
    ok &= figure("sqlite_ui_writes", writes, ">=", 100)
    ok &= figure("sqlite_jobs_done", done, ">=", 50)
    assert ok, errors[:5]


@pytest.mark.postgres
def test_postgres_two_workers_run_no_job_twice_and_hit_no_integrity_error(postgres_db, tmp_path):
    from core.jobs.kinds import HOUSEKEEPING, NoPayload
    from core.jobs.queue import start_job
    from tests.conftest import make_office

    office = make_office()
    trace = tmp_path / "trace.tsv"
    workers = _workers(2, postgres_db, trace)
    integrity = 0
    deadline = time.monotonic() + SECONDS / 2

    def start_alone() -> None:  # many people asking for the same deduplicated job at once
        nonlocal integrity
        try:
            with db.session_scope(write=True) as session:
                start_job(session, office.manager, HOUSEKEEPING, NoPayload())
        except sa.exc.IntegrityError:
            integrity += 1

    try:
        while time.monotonic() < deadline:
            _queue_pings(100)
            threads = [threading.Thread(target=start_alone) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            time.sleep(0.5)
        quiet = time.monotonic() + 60
        while time.monotonic() < quiet:
            with db.session_scope() as session:
                if not session.execute(sa.select(sa.func.count()).where(JobRun.status == "pending")).scalar_one():
                    break
            time.sleep(0.5)
    finally:
        logs = _stop(workers)
    executions = Counter(line.split("\t")[0] for line in trace.read_text().splitlines())
    twice = sum(1 for n in executions.values() if n > 1)
    integrity += logs.count("IntegrityError") + logs.count("UniqueViolation")
    ok = figure("postgres_jobs_run", len(executions), ">=", 100)
    ok &= figure("postgres_jobs_run_twice", twice, "==", 0)
    ok &= figure("postgres_integrity_errors", integrity, "==", 0)
    assert ok


# --- secrets ----------------------------------------------------------------------------------------------------


def test_no_secret_marker_anywhere_after_every_operation(office, tmp_path, capsys, caplog):
    """Markers in every kind of secret; then rotation, exports, bundles, lists, and a scan of everything written."""
    from tests.core.services.test_master_key import MARK, secrets_of_every_kind
    from tests.seeding import add_problem

    caplog.set_level(logging.DEBUG)
    sealed = secrets_of_every_kind(office, clients=3)
    markers = {plain for plain in sealed.plain.values() if MARK.encode() in plain}
    markers |= {plain.split(b"|")[-1] for plain in sealed.plain.values() if plain.count(b"|") == 2}  # token secrets
    markers |= {line for plain in sealed.plain.values() if b"PRIVATE KEY" in plain for line in plain.split(b"\n")[1:3]}
    with db.session_scope() as session:
        client_id = session.exec(select(Credential.client_id).where(Credential.client_id.is_not(None))).first()  # type: ignore[union-attr]
    add_problem(office, client_id, "network")
    out = tmp_path / "out"
    out.mkdir()
    commands = [
        ["keys", "rotate"], ["credential", "list"], ["problems", "list"], ["client", "list"],
        ["problems", "bundle", "--id", "1", "--out", str(out / "bundle.json")],
        ["report", "links", "--format", "csv", "--out", str(out / "links.csv")],
        ["report", "links", "--format", "xlsx", "--out", str(out / "links.xlsx")],
        ["report", "usage", "--format", "csv", "--out", str(out / "usage.csv")],
        ["invoice", "list"], ["package", "show"], ["key", "show", "--id", str(client_id)],
    ]  # fmt: skip
    printed = []
    for argv in commands:
        code = main([*argv, "--json"])
        captured = capsys.readouterr()
        printed.append(captured.out + captured.err)
        assert code in (0, 1), argv
    data = get_settings().data_dir
    places = {"stdout": "\n".join(printed).encode(), "logs": caplog.text.encode()}
    crypto.load_keyring()  # the key file stays out of the scan: it is the one place a key may be
    database = Path(sa.engine.make_url(get_settings().database_url).database or "")
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        places[path.name] = path.read_bytes()
    for folder in (data, out):
        for path in folder.rglob("*"):
            if path.is_file() and path.name != "master.key":
                places[str(path)] = path.read_bytes()
    hits = sorted({name for name, content in places.items() for marker in markers if marker in content})
    ok = figure("secret_kinds_marked", len({column for _, _, column in sealed.plain}), ">=", 4)
    ok &= figure("secret_places_scanned", len(places), ">=", 9)
    ok &= figure("secret_marker_hits", len(hits), "==", 0)
    print("soak: (secrets) scanned", sorted(Path(p).name for p in places))
    assert ok, hits


# --- isolation --------------------------------------------------------------------------------------------------


def test_isolation_every_service_and_command_with_foreign_ids(office, tmp_path, monkeypatch, capsys):
    from tests.conftest import make_office
    from tests.core.cli.test_cli_hardening import cli_walk
    from tests.core.services.test_isolation import _foreign_office, walk

    tried, allowed = walk(office, _foreign_office())
    other = make_office(name="Biuro Trzecie", nip="1234563218", account_id="BR-TRZY", suffix="-trzy")
    cli_tried, cli_allowed = cli_walk(office, other, tmp_path, monkeypatch, capsys)
    ok = figure("isolation_service_calls_tried", tried, ">=", 100)
    ok &= figure("isolation_cli_commands_tried", cli_tried, ">=", 90)
    ok &= figure("isolation_allowed", len(allowed) + len(cli_allowed), "==", 0)
    assert ok, allowed + cli_allowed


# --- bad input --------------------------------------------------------------------------------------------------


def test_bad_input_corpus_and_hypothesis_never_crash(office):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from core.errors import InvalidInput
    from core.invoice_xml import InvoiceFileError, check_invoice
    from core.models import ClientCreate
    from core.services.clients import importer
    from core.services.clients.register import add_client
    from core.types import KsefEnvironment
    from tests.core.test_bad_input import run_service_fuzz, xml_like
    from tests.factories import valid_nips

    nip = valid_nips(1, seed=90)[0]
    client_id = add_client(actor=office.manager, data=ClientCreate(nip=nip, name="Fuzz")).id
    tried, crashes = 0, []

    @settings(max_examples=1500, deadline=None, database=None)
    @given(data=xml_like())
    def files(data: bytes) -> None:
        nonlocal tried
        tried += 1
        try:
            check_invoice(data)
        except InvoiceFileError:
            pass
        except Exception as error:
            crashes.append(repr(error))

    @settings(max_examples=1500, deadline=None, database=None)
    @given(content=st.one_of(st.binary(max_size=2048), st.text(max_size=400).map(lambda t: t.encode("utf-16-le"))))
    def imports(content: bytes) -> None:
        nonlocal tried
        tried += 1
        try:
            rows = importer.read_table("k.csv", content)
            importer.check_rows(rows, existing={}, default_environment=KsefEnvironment.SIM)
        except InvalidInput:
            pass
        except Exception as error:
            crashes.append(repr(error))

    files()
    imports()
    tried += run_service_fuzz(office, client_id, nip, examples=300)
    ok = figure("bad_inputs_tried", tried, ">=", 3000)
    ok &= figure("bad_input_tracebacks", len(crashes), "==", 0)
    assert ok, crashes[:5]


# --- a key rotation killed three times ------------------------------------------------------------------------


SECRETS = 10_000


def test_key_rotation_killed_three_times_converges(office, sqlite_db, tmp_path):
    from core.vault import seal, unseal

    with db.session_scope(write=True) as session:
        for index in range(SECRETS):
            row = Credential(office_id=office.office_id, kind="ksef_token", label=f"t{index}", context_nip="5265877635")
            session.add(row)
            session.flush()
            seal(row, "secret_ciphertext", f"sekret-{index}")
            session.add(row)
    env = {**os.environ, "KSEF_CONSOLE_DATABASE_URL": sqlite_db}
    kills = 0
    for _ in range(3):
        rotation = subprocess.Popen(
            [CLI, "keys", "rotate", "--json"], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        key_file = get_settings().key_file
        started = time.monotonic()
        while rotation.poll() is None and time.monotonic() - started < 60:  # wait for the new key to be put in front
            if len(key_file.read_text(encoding="ascii").split()) > 1:
                break
            time.sleep(0.01)
        time.sleep(random.uniform(0.0, 1.0))  # then kill it somewhere in the re-encryption
        if rotation.poll() is None:
            rotation.send_signal(signal.SIGKILL)
            kills += 1
        rotation.wait()
        keys_in_file = len(crypto.load_keyring().keys)
        assert keys_in_file <= 2, "a killed rotation appended a key"
    final = subprocess.run([CLI, "keys", "rotate", "--json"], env=env, timeout=600)
    keyring = crypto.load_keyring()
    with db.session_scope() as session:
        rows = session.exec(select(Credential)).all()
        opened = sum(unseal(row, "secret_ciphertext", keyring) == f"sekret-{row.label[1:]}".encode() for row in rows)
    ok = figure("key_rotation_kills", kills, ">=", 1)
    ok &= figure("key_rotation_secrets_open_after", opened, "==", SECRETS)
    ok &= figure("key_rotation_keys_left", len(keyring.keys), "==", 1)
    ok &= figure("key_rotation_final_exit", final.returncode, "==", 0)
    assert ok
