"""What every subcommand shares: --json, --as, the acting user, output and error handling."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from core import db
from core.errors import InvalidInput, ServiceError
from core.security import Actor
from core.texts import Text

Handler = Callable[[argparse.Namespace], Any]


def add_common(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--as", dest="as_user", metavar="USER", help=Text("cli.as_help"))
    return parser


def command(subparsers: Any, name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(name, help=help_text, description=help_text)
    add_common(parser)
    parser.set_defaults(handler=handler)
    return parser


def acting_user(args: argparse.Namespace) -> Actor:
    from sqlmodel import select

    from core.models import User
    from core.services.office import find_office
    from core.types import Role

    with db.session_scope() as session:
        if getattr(args, "as_user", None):
            user = session.exec(select(User).where(User.username == args.as_user.lower())).first()
            if user is None or user.disabled_at is not None or user.id is None:
                raise ServiceError(Text("cli.no_active_user", username=args.as_user))
            return Actor(username=user.username, role=Role(user.role), office_id=user.office_id, user_id=user.id)
        office = find_office(session)
        if office is None or office.id is None:
            raise ServiceError(Text("cli.no_office"))
        return Actor.system("cli", office.id)


def to_jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: to_jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def print_table(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> None:
    rows = list(rows)
    widths = {c: max([len(c)] + [len(str(r.get(c, ""))) for r in rows]) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns))


def execute(args: argparse.Namespace) -> int:
    """Run a subcommand: returns the exit code (0 ok, 1 refused by a service, 2 bad input)."""
    try:
        if getattr(args, "needs_db", True):
            db.upgrade()
        result = args.handler(args)
    except ServiceError as error:  # the CLI speaks Polish: every problem's Polish sentence
        return _fail(args, error.lines(), code=2 if isinstance(error, InvalidInput) else 1)
    except OSError as error:  # a file named on the command line cannot be read or written
        reason = error.strerror or type(error).__name__
        return _fail(args, [Text("cli.file_unreadable", path=str(error.filename or ""), reason=reason)], code=2)
    except KeyboardInterrupt:
        return _fail(args, [Text("cli.interrupted")], code=130)
    except Exception as error:  # never a traceback for the person at the terminal: one sentence, details at DEBUG
        logging.getLogger(__name__).debug("ksef-console failed", exc_info=True)
        return _fail(args, [Text("cli.unexpected", kind=type(error).__name__)], code=2)
    if result is None:
        return 0
    if getattr(args, "json", False):
        print(json.dumps(to_jsonable(result), ensure_ascii=False, indent=2))
    else:
        show = getattr(args, "show", None)
        if show:
            show(result)
        else:
            print(json.dumps(to_jsonable(result), ensure_ascii=False, indent=2))
    return int(getattr(args, "exit_code", 0))


def _fail(args: argparse.Namespace, problems: list[str], *, code: int) -> int:
    if getattr(args, "json", False):
        print(json.dumps({"ok": False, "errors": problems}, ensure_ascii=False, indent=2))
    else:
        for problem in problems:
            print(Text("cli.error", problem=problem), file=sys.stderr)
    return code
