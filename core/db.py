"""The store: one engine per process, one session per operation.

SQLite (the embedded default) runs in WAL mode with a busy timeout and foreign keys on; every writing transaction
starts with BEGIN IMMEDIATE so that a UI and several workers queue for the write lock instead of failing with
"database is locked" half-way through. PostgreSQL goes through psycopg 3 with pre-ping. JSON columns keep catalogue
texts (core.texts.Text) as texts, so a stored message renders in the reader's language.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core import texts
from core.files import private_dir, private_file
from core.settings import get_settings

_engine: Engine | None = None
_engine_lock = threading.Lock()
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _dumps(value: Any) -> str:
    return json.dumps(texts.encode(value))


def _loads(stored: str | bytes) -> Any:
    return json.loads(stored, object_hook=texts.decode)


def make_engine(url: str, **kwargs: Any) -> Engine:
    kwargs = {"json_serializer": _dumps, "json_deserializer": _loads, **kwargs}
    if url.startswith("sqlite"):
        return _make_sqlite_engine(url, **kwargs)
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)


def _make_sqlite_engine(url: str, **kwargs: Any) -> Engine:
    path = sa.engine.make_url(url).database
    if path and path != ":memory:":
        folder = Path(path).parent
        if folder.resolve() == get_settings().data_dir:  # the console's own data folder: private
            private_dir(folder)
        else:
            folder.mkdir(parents=True, exist_ok=True)
        private_file(path)  # SQLite keeps a file's mode, and gives its -wal and -shm files the same
    if path and path != ":memory:" and "poolclass" not in kwargs:
        # A connection for every worker thread and the helpers beside them (flusher, lease renewer, scheduler): with
        # SQLAlchemy's default of 5 kept, the rest were opened and closed again for every unit of work, each opening
        # running the PRAGMAs below (8 % of a 3,000-client fleet sync's samples).
        kwargs = {"pool_size": get_settings().worker_concurrency + 8, "max_overflow": 16, **kwargs}
    engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below); the driver must not open transactions behind our back.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get("sqlite_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def get_engine() -> Engine:
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = make_engine(get_settings().database_url)
        return _engine


def set_engine(engine: Engine | None) -> None:
    """Point the process at another database (tests, the CLI's --database)."""
    global _engine
    with _engine_lock:
        if _engine is not None and _engine is not engine:
            _engine.dispose()
        _engine = engine


@contextmanager
def session_scope(*, write: bool = False) -> Iterator[Session]:
    """One unit of work. `write=True` takes the write lock up front on SQLite and commits at the end.

    Never keep a session open across a network call: read, close, call KSeF, then open a new one to write.
    """
    engine = get_engine()
    with Session(engine, expire_on_commit=False) as session:
        if write and engine.dialect.name == "sqlite":
            session.connection(execution_options={"sqlite_write": True})
        try:
            yield session
            if write:
                session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def write_connection() -> Iterator[sa.Connection]:
    """One writing transaction on a Core connection (BEGIN IMMEDIATE on SQLite), for hot paths without the ORM."""
    engine = get_engine()
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.execution_options(sqlite_write=True)
        with connection.begin():
            yield connection


def alembic_config(url: str | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser treats % as interpolation; URLs carry %-escapes (e.g. a PostgreSQL search_path option).
    config.set_main_option(
        "sqlalchemy.url", (url or get_engine().url.render_as_string(hide_password=False)).replace("%", "%%")
    )
    config.attributes["engine"] = None if url else get_engine()
    return config


def upgrade(url: str | None = None) -> None:
    """Apply every pending migration (runs on start of the UI, the worker and the CLI)."""
    from alembic import command

    command.upgrade(alembic_config(url), "head")


def dialect_insert(table: Any) -> Any:
    """An INSERT with the database's own ON CONFLICT clauses (PostgreSQL or SQLite)."""
    if get_engine().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def rowcount(result: Any) -> int:
    """Rows touched by an UPDATE/DELETE (typed loosely by SQLAlchemy)."""
    return int(getattr(result, "rowcount", 0) or 0)


def columns(model: Any) -> Any:
    """The Core columns of a table model, for aggregate queries SQLModel's typed `select` cannot express."""
    return model.__table__.c
