"""Data files are private (issue 10 #11): console.db (with its WAL), the master key, exports and support bundles are
0600, the data folder 0700 — whatever the umask."""

from __future__ import annotations

import os
import stat
from datetime import date
from pathlib import Path

import pytest

from core import crypto, db
from core.cli import main
from core.jobs.kinds import ReportExportPayload
from core.settings import get_settings, reload_settings
from tests.conftest import make_office
from tests.seeding import add_clients, add_problem


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    previous = os.umask(0o022)  # the usual default: files 0644, folders 0755 unless the console says otherwise
    yield
    os.umask(previous)


@pytest.fixture
def fresh_data(tmp_path, monkeypatch, open_umask):
    data = tmp_path / "srv" / "ksef"
    monkeypatch.setenv("KSEF_CONSOLE_DATA_DIR", str(data))
    monkeypatch.delenv("KSEF_CONSOLE_DATABASE_URL", raising=False)
    monkeypatch.delenv("KSEF_CONSOLE_MASTER_KEY", raising=False)
    reload_settings()
    db.set_engine(None)
    db.upgrade()
    yield data
    db.set_engine(None)


def test_the_database_its_wal_and_the_master_key_are_private(fresh_data):
    office = make_office()
    add_clients(office, 2)
    crypto.load_keyring()
    assert mode(fresh_data) == 0o700
    for name in ("console.db", "console.db-wal", "console.db-shm", "master.key"):
        assert (fresh_data / name).exists(), name
        assert mode(fresh_data / name) == 0o600, name


def test_an_existing_world_readable_database_is_narrowed(tmp_path, monkeypatch, open_umask):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "console.db").touch(mode=0o644)
    monkeypatch.setenv("KSEF_CONSOLE_DATA_DIR", str(data))
    monkeypatch.delenv("KSEF_CONSOLE_DATABASE_URL", raising=False)
    reload_settings()
    db.set_engine(None)
    try:
        db.upgrade()
        assert mode(data) == 0o700 and mode(data / "console.db") == 0o600
    finally:
        db.set_engine(None)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_are_private(fresh_data, fmt):
    from core.services.reports.exports import export_task

    office = make_office()
    payload = ReportExportPayload("usage", fmt, f"u.{fmt}", date(2026, 1, 1), date(2026, 1, 31))
    result = export_task(actor=office.manager, job_id=_a_job(office), payload=payload)
    path = Path(result.path)
    assert mode(path) == 0o600 and mode(path.parent) == 0o700 and mode(get_settings().exports_dir) == 0o700


def _a_job(office) -> int:
    from core.jobs.kinds import PING, NoPayload
    from core.jobs.queue import start_job

    with db.session_scope(write=True) as session:
        return start_job(session, office.manager, PING, NoPayload()).id


def test_support_bundles_and_cli_outputs_are_private(fresh_data, tmp_path, capsys):
    office = make_office()
    client_id = add_clients(office, 1)[0]
    add_problem(office, client_id, "network")
    out = tmp_path / "bundle.json"
    assert main(["problems", "bundle", "--id", "1", "--out", str(out), "--json"]) == 0
    capsys.readouterr()
    assert mode(out) == 0o600
    report = tmp_path / "uzycie.csv"
    assert main(["report", "usage", "--format", "csv", "--out", str(report), "--json"]) == 0
    capsys.readouterr()
    assert mode(report) == 0o600
