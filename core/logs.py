"""Logging set-up shared by the worker, the CLI and the launcher: no request URLs with secrets, no bodies."""

from __future__ import annotations

import logging

from core.settings import get_settings

# httpx logs every request line at INFO; pre-signed URLs carry credentials in their query string.
QUIET_LOGGERS = ("httpx", "httpcore", "ksef_client", "apscheduler", "alembic", "urllib3")


def configure_logging(level: str | None = None) -> None:
    logging.basicConfig(
        level=(level or get_settings().log_level).upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
