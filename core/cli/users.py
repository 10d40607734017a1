"""`ksef-console user add|list|disable|set-role`."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from core.cli.common import acting_user, command, print_table
from core.models import UserCreate, UserPublic
from core.services import users
from core.texts import Text


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(Text("cli.password"))
    if getpass.getpass(Text("cli.password_again")) != first:
        raise SystemExit(Text("cli.passwords_differ"))
    return first


def _show_users(result: list[UserPublic] | UserPublic) -> None:
    rows = result if isinstance(result, list) else [result]
    columns = [Text(f"cli.users.col.{name}") for name in ("login", "role", "full_name", "email", "disabled")]
    print_table(
        [
            dict(
                zip(
                    columns,
                    (u.username, u.role, u.full_name, u.email, Text("cli.yes") if u.disabled_at else ""),
                    strict=True,
                )
            )
            for u in rows
        ],
        columns,
    )


def register(commands: Any) -> None:
    group = commands.add_parser("user", help="console users and roles").add_subparsers(dest="action", required=True)

    add = command(group, "add", _add, "add a user")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=["manager", "support", "analyst"])
    add.add_argument("--full-name", default="")
    add.add_argument("--email", default="")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(show=_show_users)

    listing = command(group, "list", lambda a: users.list_users(actor=acting_user(a)), "list users")
    listing.set_defaults(show=_show_users)

    disable = command(
        group, "disable", lambda a: users.disable_user(actor=acting_user(a), username=a.username), "disable a user"
    )
    disable.add_argument("username")
    disable.set_defaults(show=_show_users)

    set_role = command(
        group,
        "set-role",
        lambda a: users.set_role(actor=acting_user(a), username=a.username, role=a.role),
        "change a role",
    )
    set_role.add_argument("username")
    set_role.add_argument("role", choices=["manager", "support", "analyst"])
    set_role.set_defaults(show=_show_users)


def _disable(args: argparse.Namespace) -> UserPublic:
    return users.disable_user(actor=acting_user(args), username=args.username)


def _set_role(args: argparse.Namespace) -> UserPublic:
    return users.set_role(actor=acting_user(args), username=args.username, role=args.role)


def _add(args: argparse.Namespace) -> UserPublic:
    actor = acting_user(args)
    data = UserCreate(
        username=args.username,
        role=args.role,
        full_name=args.full_name,
        email=args.email,
        password=_read_password(args),
    )
    return users.add_user(actor=actor, data=data)
