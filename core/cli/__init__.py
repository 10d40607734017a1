"""`ksef-console`: every operation the UI offers, for scripts and support shells (DESIGN.md §4).

Each subcommand calls the same service as the UI and prints a table, or JSON with `--json`. It is an administrator's
tool on the server: whoever can run it can read the database and the master key, so `--as` is not a sign-in; it only
makes the command obey that user's role and office.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from core.cli import admin, certificates, clients, clientside, common, intake, invoices, ksef, reports, users
from core.texts import Text

MODULES = [admin, users, clients, ksef, certificates, invoices, reports, intake, clientside]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ksef-console", description=Text("cli.description"))
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in MODULES:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["simulator"]:
        # The simulator is a program of its own (it imports nothing of the console): this process becomes it, with
        # its options untouched, so that Ctrl-C and signals reach it directly (it saves its state on the way out).
        os.execv(sys.executable, [sys.executable, "-m", "simulator", *arguments[1:]])  # noqa: S606  (our own module)
    if arguments[:1] == ["connect"]:
        # The reference client program speaks only HTTP to the intake API and imports nothing of the console.
        os.execv(sys.executable, [sys.executable, "-m", "clientprogram", *arguments[1:]])  # noqa: S606
    parser = build_parser()
    args = parser.parse_args(arguments)
    return common.execute(args)


if __name__ == "__main__":
    sys.exit(main())
