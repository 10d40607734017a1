"""`ksef-console invite|access|program …`: the client side of Programy klientów, for scripts (the same services)."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from core.cli.common import acting_user, command
from core.services.clients import register as clients
from core.services.clientside import access, invitations, programs
from core.texts import Text


def _client_id(args: argparse.Namespace) -> int | None:
    nip = getattr(args, "nip", None)
    return clients.find_client_by_nip(actor=acting_user(args), nip=nip).id if nip else None


def _required_client(args: argparse.Namespace) -> int:
    client_id = _client_id(args)
    assert client_id is not None  # --nip is required where this is used
    return client_id


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(Text("cli.password"))
    if getpass.getpass(Text("cli.password_again")) != first:
        raise SystemExit(Text("cli.passwords_differ"))
    return first


def _switch(value: str | None) -> bool | None:
    return None if value is None else value == "on"


def _set_access(args: argparse.Namespace) -> access.AccessView:
    chosen = {name: _switch(getattr(args, name)) for name in access.ALLOWANCES}
    return access.set_access(
        actor=acting_user(args),
        client_id=_required_client(args),
        **{name: value for name, value in chosen.items() if value is not None},
    )


def register(commands: Any) -> None:
    invite = commands.add_parser("invite", help="invitations of client users").add_subparsers(
        dest="action", required=True
    )
    add = command(invite, "add", lambda a: invitations.invite(actor=acting_user(a), client_id=_required_client(a),
                  email=a.email, full_name=a.full_name), "invite a person of a client company by e-mail")  # fmt: skip
    add.add_argument("--nip", required=True)
    add.add_argument("--email", required=True)
    add.add_argument("--full-name", default="")
    listing = command(invite, "list", lambda a: invitations.list_invitations(actor=acting_user(a),
                      client_id=_client_id(a)), "list invitations")  # fmt: skip
    listing.add_argument("--nip")
    resend = command(invite, "resend", lambda a: invitations.resend(actor=acting_user(a), invitation_id=a.id),
                     "send a new link (the old one stops working)")  # fmt: skip
    resend.add_argument("id", type=int)
    revoke = command(invite, "revoke", lambda a: invitations.revoke(actor=acting_user(a), invitation_id=a.id),
                     "revoke an invitation")  # fmt: skip
    revoke.add_argument("id", type=int)

    allowances = commands.add_parser("access", help="what a client may do itself").add_subparsers(
        dest="action", required=True
    )
    show = command(allowances, "show", lambda a: access.get_access(actor=acting_user(a), client_id=_required_client(a)),
                   "show a client's allowances")  # fmt: skip
    show.add_argument("--nip", required=True)
    change = command(allowances, "set", _set_access, "switch allowances on or off (audited)")
    change.add_argument("--nip", required=True)
    for name in access.ALLOWANCES:
        change.add_argument(f"--{name.replace('_', '-')}", dest=name, choices=["on", "off"])

    program = commands.add_parser("program", help="client programs linked to the intake API").add_subparsers(
        dest="action", required=True
    )
    link = command(program, "add", lambda a: programs.add_program(actor=acting_user(a), client_id=_required_client(a),
                   name=a.name, password=_password(a)), "link a client's program (asks for its password)")  # fmt: skip
    link.add_argument("--nip", required=True)
    link.add_argument("--name", required=True)
    link.add_argument("--password-stdin", action="store_true")
    listed = command(program, "list", lambda a: programs.list_programs(actor=acting_user(a), client_id=_client_id(a)),
                     "list program links")  # fmt: skip
    listed.add_argument("--nip")
    reset = command(program, "reset-password", lambda a: programs.reset_password(actor=acting_user(a),
                    program_id=a.id, password=_password(a)), "set a new program password")  # fmt: skip
    reset.add_argument("id", type=int)
    reset.add_argument("--password-stdin", action="store_true")
    remove = command(program, "remove", lambda a: programs.remove_program(actor=acting_user(a), program_id=a.id),
                     "remove a program link (its history stays)")  # fmt: skip
    remove.add_argument("id", type=int)
