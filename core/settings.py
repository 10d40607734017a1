"""Configuration from environment variables, all prefixed KSEF_CONSOLE_ (see the README table)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PREFIX = "KSEF_CONSOLE_"


def _env(name: str, default: str = "") -> str:
    return os.environ.get(PREFIX + name, default)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    master_key: str
    sim_url: str
    ui_address: str
    ui_port: int
    sim_port: int
    idle_timeout_minutes: int
    login_max_failures: int
    lockout_minutes: int
    worker_concurrency: int
    log_level: str
    presigned_hosts: tuple[str, ...]
    ksef_timeout_seconds: float
    mail_port: int = 8625  # the demo's local mail catcher (`make run`), beside the simulator's port by default
    intake_port: int = 8502  # the intake API for client programs (`ksef-console intake serve`), beside the UI's port

    @property
    def key_file(self) -> Path:
        return self.data_dir / "master.key"

    @property
    def exports_dir(self) -> Path:
        return self.data_dir / "exports"

    @property
    def mailbox_dir(self) -> Path:
        """Where the demo's mail catcher keeps the e-mails it caught (one .eml file each)."""
        return self.data_dir / "mailbox"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings() -> Settings:
    data_dir = Path(_env("DATA_DIR", "data")).resolve()
    sim_port = int(_env("SIM_PORT", "8600"))
    return Settings(
        data_dir=data_dir,
        database_url=_normalise_db_url(_env("DATABASE_URL", f"sqlite:///{data_dir / 'console.db'}")),
        master_key=_env("MASTER_KEY"),
        sim_url=_env("SIM_URL", f"http://127.0.0.1:{sim_port}").rstrip("/"),
        ui_address=_env("UI_ADDRESS", "127.0.0.1"),
        ui_port=int(_env("UI_PORT", "8501")),
        sim_port=sim_port,
        idle_timeout_minutes=int(_env("IDLE_TIMEOUT_MINUTES", "30")),
        login_max_failures=int(_env("LOGIN_MAX_FAILURES", "5")),
        lockout_minutes=int(_env("LOCKOUT_MINUTES", "15")),
        worker_concurrency=int(_env("WORKER_CONCURRENCY", "16")),
        log_level=_env("LOG_LEVEL", "INFO"),
        presigned_hosts=tuple(h for h in _env("PRESIGNED_HOSTS").split(",") if h),
        ksef_timeout_seconds=float(_env("KSEF_TIMEOUT_SECONDS", "30")),
        # Derived from the simulator's port, so two `make run`s given different SIM_PORTs never share a catcher.
        mail_port=int(_env("MAIL_PORT", str(sim_port + 25))),
        intake_port=int(_env("INTAKE_PORT", str(int(_env("UI_PORT", "8501")) + 1))),
    )


def _normalise_db_url(url: str) -> str:
    # Offices paste plain postgres URLs; we always speak psycopg 3.
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url.removeprefix(plain)
    return url


@cache
def get_settings() -> Settings:
    return load_settings()


def reload_settings() -> Settings:
    """Re-read the environment (tests and the launcher change it)."""
    get_settings.cache_clear()
    return get_settings()
