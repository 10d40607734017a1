"""Shared fixtures: a fresh database per test (SQLite file, or a PostgreSQL schema), an office with one user per role.

PostgreSQL: KSEF_CONSOLE_TEST_POSTGRES_URL (default the local server, database `test`). Unreachable → the
PostgreSQL tests are skipped, except with CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from core import db
from core.models import UserCreate
from core.security import Actor
from core.settings import reload_settings
from core.types import Role

POSTGRES_URL = os.environ.get("KSEF_CONSOLE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _use_database(monkeypatch: pytest.MonkeyPatch, tmp_path, url: str) -> None:
    monkeypatch.setenv("KSEF_CONSOLE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KSEF_CONSOLE_DATABASE_URL", url)
    monkeypatch.delenv("KSEF_CONSOLE_MASTER_KEY", raising=False)
    reload_settings()
    db.set_engine(None)
    db.upgrade()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'console.db'}"


@pytest.fixture
def sqlite_db(monkeypatch, tmp_path, sqlite_url) -> Iterator[str]:
    _use_database(monkeypatch, tmp_path, sqlite_url)
    yield sqlite_url
    db.set_engine(None)


def postgres_available() -> bool:
    try:
        engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new schema in the test database, dropped afterwards; the URL selects it through search_path."""
    if not postgres_available():
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and is unreachable at {POSTGRES_URL}")
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    db.set_engine(None)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def postgres_db(monkeypatch, tmp_path, postgres_url) -> Iterator[str]:
    _use_database(monkeypatch, tmp_path, postgres_url)
    yield postgres_url
    db.set_engine(None)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db(request) -> str:
    """Runs the test once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_db")


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
