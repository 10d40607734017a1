"""`ksef-console db|office|demo|worker|keys|run|simulator`: setting up and running the console."""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from typing import Any

from core import db
from core.cli.common import acting_user, command
from core.errors import Conflict, ServiceError
from core.security import Permission
from core.texts import Text
from core.types import JobStatus


def register(commands: Any) -> None:
    database = commands.add_parser("db", help="the database").add_subparsers(dest="action", required=True)
    command(database, "upgrade", _db_upgrade, "apply pending migrations")

    office = commands.add_parser("office", help="the office").add_subparsers(dest="action", required=True)
    init = command(office, "init", _office_init, "create the office and its first manager")
    init.add_argument("--name", required=True)
    init.add_argument("--nip", required=True)
    init.add_argument("--account-id", required=True, help="the office master account id")
    init.add_argument("--manager", required=True, help="login of the first office manager")
    init.add_argument("--password-stdin", action="store_true")
    init.add_argument("--force", action="store_true", help="create another office although one exists")

    demo = commands.add_parser("demo", help="the demo office").add_subparsers(dest="action", required=True)
    seed = command(demo, "seed", _demo_seed, "create the demo office, its users and clients (kept if present)")
    seed.add_argument("--no-simulator", action="store_true", help="only the office, users and clients")

    worker = commands.add_parser("worker", help="background workers").add_subparsers(dest="action", required=True)
    ping = command(worker, "ping", _worker_ping, "enqueue a ping job and wait for a worker to answer")
    ping.add_argument("--timeout", type=float, default=10.0)
    command(worker, "run-once", _worker_run_once, "run every due job in this process, then exit")

    keys = commands.add_parser("keys", help="the master key").add_subparsers(dest="action", required=True)
    command(keys, "rotate", _keys_rotate, "re-encrypt every secret with the first master key")

    run = command(commands, "run", _run, "start the console (UI + worker; with --demo also the simulator)")
    run.add_argument("--demo", action="store_true", help="seed the demo office and start the simulator")
    run.set_defaults(needs_db=False)

    # Listed for --help; `ksef-console simulator …` is handed to `python -m simulator` before parsing.
    commands.add_parser("simulator", help="the local KSeF simulator (same options as python -m simulator)")


def _db_upgrade(args: argparse.Namespace) -> dict[str, str]:
    db.upgrade()  # before the role check: --as needs the users table to exist
    _require_as(args, Permission.manage_settings)
    return {"status": "ok", "database": db.get_engine().url.render_as_string(hide_password=True)}


def _office_init(args: argparse.Namespace) -> dict[str, Any]:
    from core.models import UserCreate
    from core.services.office import create_office, find_office
    from core.services.users import create_user
    from core.types import Role

    with db.session_scope() as session:
        existing = find_office(session)
    if existing is not None:
        if not args.force:
            raise Conflict(Text("cli.office_exists", account_id=existing.account_id))
        _require_as(args, Permission.manage_settings)
    elif getattr(args, "as_user", None):
        acting_user(args)  # a named user must exist even where there is nothing yet to check against
    password = (
        sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass(Text("cli.manager_password"))
    )
    with db.session_scope(write=True) as session:
        office = create_office(session, name=args.name, nip=args.nip, account_id=args.account_id)
        assert office.id is not None
        user = create_user(
            session, office_id=office.id, data=UserCreate(username=args.manager, role=Role.manager, password=password)
        )
        from core import audit
        from core.security import Actor

        audit.record(session, Actor.system("cli", office.id), "office.init", office.account_id, manager=user.username)
        return {"office_id": office.id, "account_id": office.account_id, "manager": user.username}


def _demo_seed(args: argparse.Namespace) -> dict[str, Any]:
    from core.demo.office import seed_demo

    _require_as(args, Permission.manage_settings)
    return seed_demo(with_simulator=not args.no_simulator)


def _worker_ping(args: argparse.Namespace) -> dict[str, Any]:
    from dataclasses import asdict

    from core.jobs import queue
    from core.jobs.kinds import PING, NoPayload, PingResult
    from core.services.jobs import job_progress

    actor = acting_user(args)
    with db.session_scope(write=True) as session:
        job_id = queue.start_job(session, actor, PING, NoPayload()).id
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        job = job_progress(actor=actor, job_id=job_id, result=PingResult)
        if job.status == JobStatus.done and job.result is not None:
            return {"job_id": job_id, **asdict(job.result)}
        time.sleep(0.2)
    queue.cancel(job_id)
    raise ServiceError(Text("cli.worker_silent", seconds=args.timeout))


def _worker_run_once(args: argparse.Namespace) -> dict[str, int]:
    from core.jobs.worker import drain

    _require_as(args, Permission.run_fleet_operations)  # it runs every due job of every kind
    return {"jobs_run": drain("cli")}


def _require_as(args: argparse.Namespace, permission: Permission) -> None:
    """With `--as`, the command obeys that user's role; without it, the administrator at the server runs it."""
    if getattr(args, "as_user", None):
        acting_user(args).require(permission)


def _keys_rotate(args: argparse.Namespace) -> dict[str, int]:
    from core.services.master_key import rotate_master_key

    return rotate_master_key(actor=acting_user(args))


def _run(args: argparse.Namespace) -> None:
    from core.cli.launcher import run

    if getattr(args, "as_user", None):
        db.upgrade()
        _require_as(args, Permission.manage_settings)
    sys.exit(run(demo=args.demo))
