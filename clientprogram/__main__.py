"""`ksef-console connect …` (or `python -m clientprogram …`): the reference client program's commands.

    configure  --url --company-key --program [--outbox] [--inbox] [--every SECONDS]   (the password is asked for)
    test       sign in and show whose link this is
    sync-now   push the outbox, collect numbers and UPOs, pull received invoices
    run        sync every --every seconds until stopped (Ctrl+C)
    show       the pushed documents and their status
    set-password   enter a new password for the program (the office sets it in Programy klientów)
    remove     forget the configuration (the folders and what is in them stay)

The configuration is a JSON file (`--config`, default `ksef-connect.json` in the current folder), readable by its
owner only, because it holds the program's password.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from clientprogram.api import Credentials, IntakeClient, IntakeError
from clientprogram.sync import sync_once

DEFAULT_CONFIG = "ksef-connect.json"


def _load(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise SystemExit(f"No configuration at {path}: run `configure` first.")
    config: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return config


def _save(path: Path, config: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(config, handle, ensure_ascii=False, indent=2)


def _password(args: argparse.Namespace) -> str:
    if getattr(args, "password_stdin", False):
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass("Program password: ")


def _client(config: dict[str, Any]) -> IntakeClient:
    return IntakeClient(Credentials(config["url"], config["company_key"], config["program"], config["password"]))


def _configure(args: argparse.Namespace) -> int:
    config = {
        "url": args.url, "company_key": args.company_key, "program": args.program, "password": _password(args),
        "outbox": str(Path(args.outbox).resolve()), "inbox": str(Path(args.inbox).resolve()), "every": args.every,
    }  # fmt: skip
    _save(args.config, config)
    print(f"Saved {args.config}.")
    return 0


def _test(args: argparse.Namespace) -> int:
    client = _client(_load(args.config))
    try:
        who = client.connection()
    finally:
        client.close()
    print(f"Connected: {who['client_name']} (NIP {who['client_nip']}), program {who['program']}.")
    return 0


def _sync(config: dict[str, Any], *, quiet: bool = False) -> int:
    """One sync; `quiet` (the `run` loop) prints only a sync that moved something or failed."""
    client = _client(config)
    try:
        report = sync_once(client, Path(config["outbox"]), Path(config["inbox"]))
    finally:
        client.close()
    if not quiet or report.pushed or report.pulled or report.errors:
        print(json.dumps(asdict(report), ensure_ascii=False), flush=True)
    return 1 if report.errors else 0


def _sync_now(args: argparse.Namespace) -> int:
    return _sync(_load(args.config))


def _run(args: argparse.Namespace) -> int:
    config = _load(args.config)
    every = max(5, int(args.every or config.get("every") or 60))
    try:
        while True:
            try:
                _sync(config, quiet=True)
            except (OSError, ValueError, KeyError) as error:  # a bad file or answer: say so and try again later
                print(f"Error: {error.__class__.__name__}: {error}", file=sys.stderr, flush=True)
            time.sleep(every)
    except KeyboardInterrupt:
        return 0


def _show(args: argparse.Namespace) -> int:
    client = _client(_load(args.config))
    try:
        for document in client.documents():
            number = document["ksef_number"] or ""
            print(f"{document['id']:>6}  {document['status']:<9}  {document['invoice_number']:<24}  {number}")
    finally:
        client.close()
    return 0


def _set_password(args: argparse.Namespace) -> int:
    config = _load(args.config)
    config["password"] = _password(args)
    _save(args.config, config)
    print("Password saved.")
    return 0


def _remove(args: argparse.Namespace) -> int:
    if args.config.exists():
        args.config.unlink()
    print(f"Removed {args.config} (the outbox and inbox folders stay).")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ksef-console connect", description="the reference client program")
    parser.add_argument("--config", type=Path, default=Path(DEFAULT_CONFIG))
    commands = parser.add_subparsers(dest="command", required=True)
    configure = commands.add_parser("configure", help="save the intake URL, company key, program and password")
    configure.add_argument("--url", required=True, help="the office's intake API, e.g. http://127.0.0.1:8502")
    configure.add_argument("--company-key", required=True)
    configure.add_argument("--program", required=True)
    configure.add_argument("--outbox", default="outbox")
    configure.add_argument("--inbox", default="inbox")
    configure.add_argument("--every", type=int, default=60, help="seconds between syncs of `run`")
    configure.add_argument("--password-stdin", action="store_true")
    configure.set_defaults(handler=_configure)
    commands.add_parser("test", help="test the connection").set_defaults(handler=_test)
    commands.add_parser("sync-now", help="synchronise once").set_defaults(handler=_sync_now)
    run = commands.add_parser("run", help="synchronise every --every seconds")
    run.add_argument("--every", type=int, default=None)
    run.set_defaults(handler=_run)
    commands.add_parser("show", help="the pushed documents").set_defaults(handler=_show)
    password = commands.add_parser("set-password", help="enter the program's new password")
    password.add_argument("--password-stdin", action="store_true")
    password.set_defaults(handler=_set_password)
    commands.add_parser("remove", help="remove the configuration").set_defaults(handler=_remove)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except IntakeError as error:
        print(f"Error: {error.message}", file=sys.stderr)
        for problem in error.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
