"""Shared fixtures: a fresh, migrated database per test (SQLite file or PostgreSQL database), an office with one user
per role.

Migrations run once per session, into a template; each test gets a copy of it: a file copy on SQLite, a
`CREATE DATABASE … TEMPLATE …` on PostgreSQL (a fraction of the Alembic run it replaces). The migrations themselves
are exercised from scratch by tests/core/test_db.py (`unmigrated_db`).

PostgreSQL: KSEF_CONSOLE_TEST_POSTGRES_URL (default the local server, database `test`; the role must be allowed to
create databases, named ksef_test_…; a run killed half-way may leave some behind). Unreachable → the PostgreSQL tests
are skipped, except with CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from argon2 import PasswordHasher

from core import db, security
from core.models import UserCreate
from core.security import Actor
from core.settings import reload_settings
from core.types import Role

# The simulator fixtures (`sim_server`, `sim`) for every test that talks to KSeF over HTTP.
pytest_plugins = ["tests.simulated", "tests.clientside"]  # tests.clientside: issue 14's fixtures

POSTGRES_URL = os.environ.get("KSEF_CONSOLE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_DATABASE_PREFIX = "ksef_test_"  # every database the suite creates (and drops) on the PostgreSQL server


def _use_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str) -> None:
    """Point the process (and the subprocesses tests start, through the environment) at this database."""
    monkeypatch.setenv("KSEF_CONSOLE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KSEF_CONSOLE_DATABASE_URL", url)
    monkeypatch.delenv("KSEF_CONSOLE_MASTER_KEY", raising=False)
    reload_settings()
    db.set_engine(None)


def migrate(url: str) -> None:
    """Run every migration on `url` with an engine of our own, closed afterwards: nothing may stay connected to a
    template that is about to be copied."""
    engine = db.make_engine(url)
    try:
        config = db.alembic_config(url)
        config.attributes["engine"] = engine
        command.upgrade(config, "head")
    finally:
        engine.dispose()


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashes() -> Iterator[None]:
    """Hash passwords with the smallest cost argon2 allows: at the production cost a hash takes ~0.2 s, and every
    office fixture makes three. The hashes are still argon2id and verification reads the cost from the hash itself,
    so signing in (here, in the UI and in the worker processes) works exactly as in production."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        yield


# --- SQLite ---


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database file, made once per session and copied for every test."""
    path = tmp_path_factory.mktemp("template") / "console.db"
    migrate(f"sqlite:///{path}")
    # Fold the write-ahead log into the file so that one file is the whole database (the engine turns WAL back on
    # for every copy when it connects).
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=DELETE")
    connection.close()
    return path


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'console.db'}"


@pytest.fixture
def sqlite_db(monkeypatch, tmp_path, sqlite_url, sqlite_template) -> Iterator[str]:
    shutil.copyfile(sqlite_template, sa.engine.make_url(sqlite_url).database or "")
    _use_database(monkeypatch, tmp_path, sqlite_url)
    yield sqlite_url
    db.set_engine(None)


# --- PostgreSQL ---


def postgres_available() -> bool:
    try:
        engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


class PostgresServer:
    """Creates and drops this session's databases on the test server (the admin connection autocommits, as DDL on
    databases requires)."""

    def __init__(self, url: str) -> None:
        self.url = sa.engine.make_url(url)
        self.admin = sa.create_engine(self.url, isolation_level="AUTOCOMMIT")

    def create(self, template: str | None = None) -> str:
        """A new database (a copy of `template` if given); returns its URL."""
        name = f"{TEST_DATABASE_PREFIX}{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        db.set_engine(None)  # close the console's pool first; FORCE ends whatever else is still connected
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{sa.engine.make_url(url).database}" WITH (FORCE)'))

    def close(self) -> None:
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    if not postgres_available():
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and is unreachable at {POSTGRES_URL}")
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL}")
    server = PostgresServer(POSTGRES_URL)
    yield server
    server.close()


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> Iterator[str]:
    """The name of a migrated database, made once per session and copied for every test."""
    url = postgres_server.create()
    try:
        migrate(url)
        yield sa.engine.make_url(url).database or ""
    finally:
        postgres_server.drop(url)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer, postgres_template: str) -> Iterator[str]:
    """A database of its own for this test, a copy of the migrated template, dropped afterwards."""
    url = postgres_server.create(template=postgres_template)
    yield url
    postgres_server.drop(url)


@pytest.fixture
def postgres_db(monkeypatch, tmp_path, postgres_url) -> Iterator[str]:
    _use_database(monkeypatch, tmp_path, postgres_url)
    yield postgres_url
    db.set_engine(None)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db(request) -> str:
    """Runs the test once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_db")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def unmigrated_db(request, monkeypatch, tmp_path) -> Iterator[str]:
    """An empty database (no migration run yet), once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.create()
        request.addfinalizer(lambda: server.drop(url))
    _use_database(monkeypatch, tmp_path, url)
    yield url
    db.set_engine(None)


@dataclass(frozen=True)
class OfficeActors:
    office_id: int
    manager: Actor
    support: Actor
    analyst: Actor
    passwords: dict[str, str]


def make_office(
    name: str = "Biuro Testowe", nip: str = "5265877635", account_id: str = "BR-TEST", suffix: str = ""
) -> OfficeActors:
    from core.services.office import create_office
    from core.services.users import create_user

    passwords = {f"kierownik{suffix}": "haslo-kierownika", f"wsparcie{suffix}": "haslo-wsparcia"}
    passwords[f"analityk{suffix}"] = "haslo-analityka"
    with db.session_scope(write=True) as session:
        office = create_office(session, name=name, nip=nip, account_id=account_id)
        actors = {}
        for base, role in (("kierownik", Role.manager), ("wsparcie", Role.support), ("analityk", Role.analyst)):
            username = base + suffix
            user = create_user(
                session,
                office_id=office.id,
                data=UserCreate(username=username, role=role, password=passwords[username]),
            )
            actors[role] = Actor(username=username, role=role, office_id=office.id, user_id=user.id)
    return OfficeActors(office.id, actors[Role.manager], actors[Role.support], actors[Role.analyst], passwords)


@pytest.fixture
def office(sqlite_db) -> OfficeActors:
    return make_office()


@pytest.fixture
def any_office(any_db) -> OfficeActors:
    return make_office()
