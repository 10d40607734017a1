"""`ksef-console sync|invoice|upo`: receiving and sending invoices (DESIGN.md §3 D)."""

from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from core.cli.common import acting_user, command, print_table
from core.errors import InvalidInput
from core.files import write_private
from core.formatting import format_money
from core.jobs.kinds import SendResult
from core.jobs.worker import run_now
from core.ksef.errors import KsefFailure
from core.services import invoices, jobs, sending
from core.services.clients import register as clients
from core.services.sync import request as sync_request
from core.services.sync.engine import sync_client
from core.texts import Text


def register(commands: Any) -> None:
    sync = command(commands, "sync", _sync, "receive new invoices now (one client or --all)")
    target = sync.add_mutually_exclusive_group(required=True)
    target.add_argument("--nip")
    target.add_argument("--id", type=int)
    target.add_argument("--all", action="store_true")

    group = commands.add_parser("invoice", help="invoices").add_subparsers(dest="action", required=True)
    send = command(group, "send", _send, "check FA(3) files offline and send them to KSeF for a client")
    send.add_argument("files", nargs="+", type=Path)
    send.add_argument("--nip", required=True)
    listing = command(group, "list", _list, "local invoices (never asks KSeF)")
    listing.add_argument("--nip")
    listing.add_argument("--subject", choices=["Subject1", "Subject2"])
    listing.add_argument("--status", action="append")
    listing.add_argument("--limit", type=int, default=50)
    xml = command(group, "xml", _xml, "write an invoice's XML")
    xml.add_argument("--ksef", required=True)
    xml.add_argument("--out", type=Path, required=True)

    upo = commands.add_parser("upo", help="official receipts").add_subparsers(dest="action", required=True)
    get = command(upo, "get", _upo, "write the UPO of a sent invoice")
    get.add_argument("--ksef", required=True)
    get.add_argument("--out", type=Path, required=True)


def _sync_one(actor: Any, client_id: int) -> dict[str, Any]:
    try:
        report = sync_client(actor=actor, client_id=client_id)
    except KsefFailure as failure:
        return {"client_id": client_id, "ok": False, "error": failure.message}
    return {"client_id": client_id, "ok": report.ok, "new_invoices": report.new_invoices}


def _sync(args: argparse.Namespace) -> Any:
    actor = acting_user(args)
    if not args.all:
        client_id = args.id if args.id is not None else clients.find_client_by_nip(actor=actor, nip=args.nip).id
        result = _sync_one(actor, client_id)
        args.exit_code = 0 if result["ok"] else 1
        return result
    working = sync_request.syncable_client_ids(actor=actor)  # a failed last attempt never drops a client
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda client_id: _sync_one(actor, client_id), working))
    args.exit_code = 0 if all(r["ok"] for r in results) else 1
    return {"clients": len(results), "new_invoices": sum(r.get("new_invoices", 0) for r in results), "results": results}


def _send(args: argparse.Namespace) -> Any:
    actor = acting_user(args)
    client = clients.find_client_by_nip(actor=actor, nip=args.nip)
    missing = [str(p) for p in args.files if not p.is_file()]
    if missing:
        raise InvalidInput([Text("cli.no_file", path=m) for m in missing])
    batch = sending.queue_invoices(
        actor=actor, client_id=client.id, files=[(p.name, p.read_bytes()) for p in args.files]
    )
    result: dict[str, Any] = {"rejected": batch.rejected, "queued": len(batch.invoice_ids)}
    if batch.job_id is not None:
        run_now(batch.job_id, "cli")
        job = jobs.job_progress(actor=actor, job_id=batch.job_id, result=SendResult)
        result["job"] = {"status": job.status, "error": job.error}
        page = invoices.list_invoices(actor=actor, client_id=client.id, limit=len(batch.invoice_ids) + 10)
        result["invoices"] = [asdict(r) for r in page.items if r.id in batch.invoice_ids]
    args.exit_code = (
        0
        if not batch.rejected and all(i["status"] in ("accepted", "duplicate") for i in result.get("invoices", []))
        else 1
    )
    return result


def _list(args: argparse.Namespace) -> Any:
    actor = acting_user(args)
    client_id = clients.find_client_by_nip(actor=actor, nip=args.nip).id if args.nip else None
    page = invoices.list_invoices(
        actor=actor, client_id=client_id, subject_type=args.subject, statuses=args.status, limit=args.limit
    )
    columns = [
        Text(f"cli.invoices.col.{name}")
        for name in ("ksef_number", "number", "date", "client", "subject_type", "status", "gross")
    ]
    args.show = lambda p: print_table(
        [
            dict(
                zip(
                    columns,
                    (
                        r.ksef_number or "",
                        r.invoice_number,
                        r.issue_date or "",
                        r.client_nip,
                        r.subject_type,
                        r.status,
                        format_money(r.gross_amount, r.currency),
                    ),
                    strict=True,
                )
            )
            for r in p.items
        ],
        columns,
    )
    return page


def _xml(args: argparse.Namespace) -> Any:
    return _write(args, invoices.invoice_xml)


def _upo(args: argparse.Namespace) -> Any:
    return _write(args, invoices.invoice_upo)


def _write(args: argparse.Namespace, read: Any) -> dict[str, Any]:
    actor = acting_user(args)
    name, data = read(actor=actor, invoice_id=invoices.find_by_ksef_number(actor=actor, ksef_number=args.ksef))
    write_private(args.out, data)
    return {"written": str(args.out), "bytes": len(data), "name": name}
