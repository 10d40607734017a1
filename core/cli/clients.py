"""`ksef-console client add|list|edit|archive|import`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from core.cli.common import acting_user, command, print_table
from core.errors import InvalidInput
from core.models import ClientCreate, ClientPublic, ClientUpdate
from core.services.clients import register as clients
from core.services.clients.importer import ImportReport, apply_client_import
from core.texts import Text


def _show_clients(result: Any) -> None:
    items = result.items if isinstance(result, clients.ClientPage) else [result]
    columns = [Text(f"cli.clients.col.{name}") for name in ("id", "nip", "name", "environment", "status", "archived")]
    print_table(
        [
            dict(
                zip(
                    columns,
                    (c.id, c.nip, c.name, c.environment, c.link_status, Text("cli.yes") if c.archived_at else ""),
                    strict=True,
                )
            )
            for c in items
        ],
        columns,
    )
    if isinstance(result, clients.ClientPage):
        print(Text("cli.clients.total", total=result.total))


def _show_import(report: ImportReport) -> None:
    for error in report.errors:
        print(error)
    if report.errors:
        print(Text("cli.import.rejected", errors=len(report.errors), rows=report.rows))
    else:
        print(Text("cli.import.done", count=report.imported))


def _client_id(args: argparse.Namespace) -> int:
    if args.id is not None:
        return int(args.id)
    return clients.find_client_by_nip(actor=acting_user(args), nip=args.nip).id


def register(commands: Any) -> None:
    group = commands.add_parser("client", help="the client register").add_subparsers(dest="action", required=True)

    add = command(group, "add", _add, "add a client")
    add.add_argument("--nip", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--email", default="")
    add.add_argument("--erp-id", default="")
    add.add_argument("--environment", default="", help="PROD, DEMO, TEST or SIM (default: the office's)")
    add.set_defaults(show=_show_clients)

    listing = command(group, "list", _list, "list clients")
    listing.add_argument("--search", default="")
    listing.add_argument("--status", action="append", help="link status (repeatable)")
    listing.add_argument("--environment")
    listing.add_argument("--archived", action="store_true", help="include archived clients")
    listing.set_defaults(show=_show_clients)

    edit = command(group, "edit", _edit, "edit a client")
    _target(edit)
    for field in ("name", "email", "erp-id", "environment", "notes"):
        edit.add_argument(f"--{field}")
    edit.set_defaults(show=_show_clients)

    archive = command(
        group,
        "archive",
        lambda a: clients.archive_client(actor=acting_user(a), client_id=_client_id(a)),
        "archive a client",
    )
    _target(archive)
    archive.set_defaults(show=_show_clients)

    importing = command(group, "import", _import, "import clients from CSV or XLSX (all rows or none)")
    importing.add_argument("file", type=Path)
    importing.set_defaults(show=_show_import)


def _target(parser: argparse.ArgumentParser) -> None:
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--nip")
    target.add_argument("--id", type=int)


def _add(args: argparse.Namespace) -> ClientPublic:
    data = ClientCreate(
        nip=args.nip, name=args.name, email=args.email, erp_id=args.erp_id, environment=args.environment
    )
    return clients.add_client(actor=acting_user(args), data=data)


def _archive(args: argparse.Namespace) -> ClientPublic:
    return clients.archive_client(actor=acting_user(args), client_id=_client_id(args))


def _list(args: argparse.Namespace) -> clients.ClientPage:
    return clients.list_clients(
        actor=acting_user(args),
        search=args.search,
        link_statuses=args.status,
        environment=args.environment,
        include_archived=args.archived,
    )


def _edit(args: argparse.Namespace) -> ClientPublic:
    changes = {
        key: value
        for key, value in {
            "name": args.name,
            "email": args.email,
            "erp_id": args.erp_id,
            "environment": args.environment,
            "notes": args.notes,
        }.items()
        if value is not None
    }
    return clients.update_client(actor=acting_user(args), client_id=_client_id(args), data=ClientUpdate(**changes))


def _import(args: argparse.Namespace) -> ImportReport:
    if not args.file.is_file():
        raise InvalidInput(Text("cli.no_file", path=args.file))
    report = apply_client_import(actor=acting_user(args), filename=args.file.name, content=args.file.read_bytes())
    if report.errors:
        args.exit_code = 1
    return report
