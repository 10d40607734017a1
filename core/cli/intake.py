"""`ksef-console intake serve`: the intake API for client programs (core/intake/app.py) as its own process."""

from __future__ import annotations

import argparse
from typing import Any

from core.settings import get_settings


def register(commands: Any) -> None:
    parser = commands.add_parser("intake", help="the intake API for the clients' own programs")
    sub = parser.add_subparsers(dest="intake_command", required=True, metavar="COMMAND")
    serve = sub.add_parser("serve", help="serve the intake API (OpenAPI at /openapi.json, docs at /docs)")
    serve.add_argument("--host", default=None, help="address to listen on (default: KSEF_CONSOLE_UI_ADDRESS)")
    serve.add_argument("--port", type=int, default=None, help="port (default: KSEF_CONSOLE_INTAKE_PORT)")
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> None:
    # Imported here: only this program needs a web server, not every CLI command nor the worker's preload.
    import uvicorn

    from core.intake.app import create_app
    from core.logs import configure_logging

    configure_logging()
    settings = get_settings()
    uvicorn.run(
        create_app(),
        host=args.host or settings.ui_address,
        port=args.port or settings.intake_port,
        log_level="warning",
        access_log=False,
    )
    return None
