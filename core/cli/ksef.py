"""`ksef-console link|key|credential|rights|self-test|problems|signature`: the linking work of DESIGN.md §3 A–C, G."""

from __future__ import annotations

import argparse
import getpass
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from core.cli.common import acting_user, command, print_table
from core.errors import InvalidInput
from core.files import write_private
from core.jobs.kinds import BulkLinkResult
from core.jobs.worker import run_now
from core.models.links import LinkRequest
from core.security import Actor
from core.services import jobs, problems
from core.services.clients import register as clients
from core.services.linking import credentials, links, rights, selftest
from core.services.linking import keys as company_keys
from core.services.linking import signatures as signature
from core.texts import Text


def _client_id(args: argparse.Namespace) -> int:
    if getattr(args, "id", None) is not None:
        return int(args.id)
    return clients.find_client_by_nip(actor=acting_user(args), nip=args.nip).id


def _target(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--nip")
    group.add_argument("--id", type=int)


def _request(args: argparse.Namespace) -> LinkRequest:
    return LinkRequest(
        auth_method=args.method,
        environment=args.environment,
        credential_id=args.credential_id,
        company_key=getattr(args, "key", None),
        send_enabled=True if args.send else None,
        confirm_production=args.confirm_production,
    )


def register(commands: Any) -> None:
    _register_link(commands)
    _register_key(commands)
    _register_credential(commands)
    rights_cmd = command(commands, "rights", _rights, "rights doctor: what the office may do in a client's context")
    _target(rights_cmd)
    test_cmd = command(commands, "self-test", _self_test, "connection self-test of a client, step by step")
    _target(test_cmd)
    _register_problems(commands)
    _register_signature(commands)


def _register_link(commands: Any) -> None:
    group = commands.add_parser("link", help="KSeF links of clients").add_subparsers(dest="action", required=True)
    verify = command(group, "verify", _link_verify, "verify a client's link (or --all)")
    target = verify.add_mutually_exclusive_group(required=True)
    target.add_argument("--nip")
    target.add_argument("--id", type=int)
    target.add_argument("--all", action="store_true")
    connect = command(group, "connect", _link_connect, "connect one client (--nip/--id) or many (--nips/--all)")
    target = connect.add_mutually_exclusive_group(required=True)
    target.add_argument("--nip")
    target.add_argument("--id", type=int)
    target.add_argument("--nips", help="comma-separated NIPs")
    target.add_argument("--all", action="store_true", help="every active client")
    connect.add_argument("--method", required=True, choices=["ksef_token", "ksef_certificate"])
    connect.add_argument("--credential-id", type=int, help="e.g. the office certificate (default: the client's own)")
    connect.add_argument("--environment", choices=["PROD", "DEMO", "TEST", "SIM"])
    connect.add_argument("--key", help="company key to verify (default: the client's current key)")
    connect.add_argument("--send", action="store_true", help="sending invoices is configured (needs InvoiceWrite)")
    connect.add_argument("--confirm-production", action="store_true")
    connect.add_argument(
        "--switch-linked", action="store_true", help="many: also try to switch clients whose link works (default: keep)"
    )
    unlink = command(
        group, "unlink", lambda a: links.unlink_client(actor=acting_user(a), client_id=_client_id(a)), "unlink"
    )
    _target(unlink)


def _register_key(commands: Any) -> None:
    group = commands.add_parser("key", help="company keys").add_subparsers(dest="action", required=True)
    show = command(
        group,
        "show",
        lambda a: {"key": company_keys.get_company_key(actor=acting_user(a), client_id=_client_id(a))},
        "show",
    )
    _target(show)
    verify = command(group, "verify", _key_verify, "verify a company key against a client")
    _target(verify)
    verify.add_argument("--key", required=True)
    reissue = command(
        group,
        "reissue",
        lambda a: {"key": company_keys.reissue_company_key(actor=acting_user(a), client_id=_client_id(a))},
        "revoke and reissue",
    )
    _target(reissue)


def _register_credential(commands: Any) -> None:
    group = commands.add_parser("credential", help="KSeF tokens and certificates").add_subparsers(
        dest="action", required=True
    )
    token = command(group, "add-token", _add_token, "add a client's KSeF token (read from standard input)")
    _target(token)
    token.add_argument("--label", default="")
    cert = command(group, "add-cert", _add_cert, "add a KSeF certificate (without --nip/--id: the office's)")
    cert.add_argument("--nip")
    cert.add_argument("--id", type=int)
    cert.add_argument("--cert", type=Path)
    cert.add_argument("--key", type=Path)
    cert.add_argument("--p12", type=Path)
    cert.add_argument("--password-stdin", action="store_true")
    cert.add_argument("--offline", action="store_true", help="an Offline certificate (for QR codes), not for login")
    cert.add_argument("--label", default="")
    listing = command(group, "list", _list_credentials, "list credentials (no secrets)")
    listing.add_argument("--nip")
    listing.add_argument("--id", type=int)
    revoke = command(
        group,
        "revoke",
        lambda a: credentials.revoke_credential(actor=acting_user(a), credential_id=a.credential),
        "stop using a credential",
    )
    revoke.add_argument("credential", type=int)


def _register_problems(commands: Any) -> None:
    group = commands.add_parser("problems", help="the support inbox").add_subparsers(dest="action", required=True)
    listing = command(group, "list", _problems_list, "open problems")
    listing.add_argument("--class", dest="problem_class")
    retry = command(group, "retry", _problems_retry, "re-verify the clients of one problem or a whole class")
    target = retry.add_mutually_exclusive_group(required=True)
    target.add_argument("--id", type=int)
    target.add_argument("--class", dest="problem_class")
    bundle = command(group, "bundle", _problems_bundle, "write the support bundle (masked transcript) of a problem")
    bundle.add_argument("--id", type=int, required=True)
    bundle.add_argument("--out", type=Path, required=True)


def _register_signature(commands: Any) -> None:
    group = commands.add_parser("signature", help="qualified signature / Trusted Profile").add_subparsers(
        dest="action", required=True
    )
    start = command(group, "start", _signature_start, "write the AuthTokenRequest to sign")
    _target(start)
    start.add_argument("--method", required=True, choices=["qualified_signature", "trusted_profile"])
    start.add_argument("--out", type=Path, required=True)
    start.add_argument("--confirm-production", action="store_true")
    complete = command(group, "complete", _signature_complete, "submit the signed file")
    _target(complete)
    complete.add_argument("--method", required=True, choices=["qualified_signature", "trusted_profile"])
    complete.add_argument("--file", type=Path, required=True)


def _link_verify(args: argparse.Namespace) -> Any:
    actor = acting_user(args)
    if args.all:
        ids = [c.id for c in clients.list_clients(actor=actor).items]
        result = _run_bulk(actor, links.start_bulk_verify(actor=actor, client_ids=ids))
        args.exit_code = 0 if result["status"] == "done" and not result["failed"] else 1
        return result
    outcome = links.verify_link(actor=actor, client_id=_client_id(args))
    args.exit_code = 0 if outcome.ok else 1  # a link that does not work is a failure for scripts too
    return outcome


def _link_connect(args: argparse.Namespace) -> Any:
    actor = acting_user(args)
    if args.nip or args.id:
        outcome = links.connect_client(actor=actor, client_id=_client_id(args), request=_request(args))
        args.exit_code = 0 if outcome.ok else 1
        return outcome
    if args.all:
        ids = [c.id for c in clients.list_clients(actor=actor).items]
    else:
        ids = [clients.find_client_by_nip(actor=actor, nip=n.strip()).id for n in args.nips.split(",") if n.strip()]
    switch = bool(getattr(args, "switch_linked", False))
    job_id = links.start_bulk_connect(actor=actor, client_ids=ids, request=_request(args), switch_linked=switch)
    result = _run_bulk(actor, job_id)
    args.exit_code = 0 if result["status"] == "done" and not result["failed"] else 1
    return result


def _run_bulk(actor: Actor, job_id: int) -> dict[str, Any]:
    print(Text("cli.job", id=job_id), file=sys.stderr)
    run_now(job_id, "cli")
    job = jobs.job_progress(actor=actor, job_id=job_id, result=BulkLinkResult)
    result = job.result or BulkLinkResult()
    return {"job_id": job_id, "status": job.status, "clients": result.clients, "ok": result.ok, "failed": result.failed}


def _key_verify(args: argparse.Namespace) -> Any:
    result = company_keys.verify_company_key(actor=acting_user(args), client_id=_client_id(args), key=args.key)
    if not result.ok:
        args.exit_code = 1
    return result


def _add_token(args: argparse.Namespace) -> Any:
    token = sys.stdin.readline().strip() if not sys.stdin.isatty() else getpass.getpass(Text("cli.ksef_token"))
    return credentials.add_ksef_token(
        actor=acting_user(args), client_id=_client_id(args), token=token, label=args.label
    )


def _read(path: Path | None) -> bytes | None:
    if path is None:
        return None
    if not path.is_file():
        raise InvalidInput(Text("cli.no_file", path=path))
    return path.read_bytes()


def _add_cert(args: argparse.Namespace) -> Any:
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    client_id = _client_id(args) if (args.nip or args.id) else None
    return credentials.add_certificate(
        actor=acting_user(args),
        client_id=client_id,
        certificate=_read(args.cert),
        private_key=_read(args.key),
        pkcs12_data=_read(args.p12),
        password=password,
        label=args.label,
        for_authentication=not args.offline,
    )


def _list_credentials(args: argparse.Namespace) -> Any:
    client_id = _client_id(args) if (args.nip or args.id) else None
    rows = credentials.list_credentials(actor=acting_user(args), client_id=client_id)
    args.show = lambda result: print_table(
        [{**asdict(r), "valid_to": r.valid_to.date() if r.valid_to else ""} for r in result],
        ["id", "client_id", "kind", "source", "label", "status", "subject_identifier", "valid_to"],
    )
    return rows


def _rights(args: argparse.Namespace) -> Any:
    report = rights.check_rights(actor=acting_user(args), client_id=_client_id(args))
    if not report.sufficient:
        args.exit_code = 1
    return report


def _self_test(args: argparse.Namespace) -> Any:
    report = selftest.run_self_test(actor=acting_user(args), client_id=_client_id(args))
    if not report.ok:
        args.exit_code = 1
    columns = [Text(f"cli.selftest.col.{name}") for name in ("step", "result", "ms", "description")]
    args.show = lambda r: print_table(
        [
            dict(
                zip(
                    columns,
                    (
                        s.name,
                        Text("cli.selftest.ok") if s.ok else Text("cli.selftest.failed"),
                        f"{s.milliseconds:.0f}",
                        s.message or s.fix,
                    ),
                    strict=True,
                )
            )
            for s in r.steps
        ],
        columns,
    )
    return report


def _problems_list(args: argparse.Namespace) -> Any:
    rows = problems.list_open(actor=acting_user(args), problem_class=args.problem_class)
    args.show = lambda result: print_table(
        [asdict(p) for p in result], ["id", "problem_class", "client_nip", "client_name", "operation", "message"]
    )
    return rows


def _problems_retry(args: argparse.Namespace) -> Any:
    actor = acting_user(args)
    if args.id is not None:
        problem = problems.get_problem(actor=actor, problem_id=args.id)
        if problem.client_id is None:
            raise InvalidInput(Text("cli.problem_without_client"))
        return links.verify_link(actor=actor, client_id=problem.client_id)
    ids = sorted(
        {p.client_id for p in problems.list_open(actor=actor, problem_class=args.problem_class) if p.client_id}
    )
    return _run_bulk(actor, links.start_bulk_verify(actor=actor, client_ids=ids))


def _problems_bundle(args: argparse.Namespace) -> Any:
    data = problems.support_bundle(actor=acting_user(args), problem_id=args.id)
    write_private(args.out, data)
    return {"written": str(args.out), "bytes": len(data)}


def _signature_start(args: argparse.Namespace) -> Any:
    prepared = signature.start_signature(
        actor=acting_user(args),
        client_id=_client_id(args),
        method=args.method,
        confirm_production=args.confirm_production,
    )
    write_private(args.out, prepared.xml.encode("utf-8"))
    return {"written": str(args.out), "expires_at": prepared.expires_at}


def _signature_complete(args: argparse.Namespace) -> Any:
    data = _read(args.file)
    assert data is not None
    return signature.complete_signature(
        actor=acting_user(args), client_id=_client_id(args), method=args.method, signed_xml=data
    )
