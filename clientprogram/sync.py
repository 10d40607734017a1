"""One synchronisation: push the outbox, collect KSeF numbers and UPOs, pull the received invoices.

What each file went through is kept beside it (`<file>.state.json`), so a sync stopped at any point — the program
killed, the network or the office's intake down — simply runs again: a file is pushed again only until the office
has answered for it, and pushing it again is harmless anyway (the office accepts an invoice once, by its content and
by the Idempotency-Key, which here is the file's SHA-256). Received invoices are acknowledged only after they are
written, so a pull cut off half-way brings the rest next time and rewrites nothing twice under another name.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clientprogram.api import IntakeClient, IntakeError

FINAL = {"accepted", "duplicate", "rejected", "failed", "refused"}
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass
class SyncReport:
    pushed: int = 0
    refused: int = 0
    accepted: int = 0
    rejected: int = 0
    waiting: int = 0
    pulled: int = 0
    errors: list[str] = field(default_factory=list)


def state_path(invoice: Path) -> Path:
    return invoice.with_name(invoice.name + ".state.json")


def read_state(invoice: Path) -> dict[str, Any]:
    path = state_path(invoice)
    if not path.exists():
        return {}
    try:
        state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return state
    except ValueError:
        return {}


def _write(path: Path, data: bytes) -> None:
    """Whole or not at all: a crash never leaves half a file behind."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def _save_state(invoice: Path, state: dict[str, Any]) -> None:
    _write(state_path(invoice), json.dumps(state, ensure_ascii=False, indent=2).encode())


def outbox_files(outbox: Path) -> list[Path]:
    return sorted(p for p in outbox.glob("*.xml") if not p.name.endswith(".upo.xml"))


def push_outbox(client: IntakeClient, outbox: Path, report: SyncReport) -> None:
    for invoice in outbox_files(outbox):
        data = invoice.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        state = read_state(invoice)
        if state.get("sha256") == digest and (state.get("document_id") or state.get("status") == "refused"):
            continue  # the office has answered for this content already
        try:
            document = client.push(data, file_name=invoice.name, idempotency_key=digest)
        except IntakeError as error:
            if error.status == 400:
                _save_state(
                    invoice, {"sha256": digest, "status": "refused", "errors": [error.message, *error.problems]}
                )
                _write(
                    invoice.with_name(invoice.stem + ".error.txt"), "\n".join([error.message, *error.problems]).encode()
                )
                continue
            raise
        report.pushed += 1
        _save_state(invoice, {"sha256": digest, "document_id": document["id"], "status": document["status"]})


def collect_results(client: IntakeClient, outbox: Path, report: SyncReport) -> None:
    for invoice in outbox_files(outbox):
        state = read_state(invoice)
        document_id = state.get("document_id")
        if state.get("status") == "refused":
            report.refused += 1
        if not document_id:
            continue
        if state.get("status") not in FINAL or (state.get("status") == "accepted" and not state.get("upo")):
            document = client.document(int(document_id))
            state.update(status=document["status"], ksef_number=document["ksef_number"], errors=document["errors"])
            if document["status"] == "accepted" and document["has_upo"]:
                _write(invoice.with_name(invoice.stem + ".upo.xml"), client.upo(int(document_id)))
                _write(invoice.with_name(invoice.stem + ".ksef.txt"), f"{document['ksef_number']}\n".encode())
                state["upo"] = True
            _save_state(invoice, state)
        status = state.get("status")
        if status == "accepted" and state.get("upo"):
            report.accepted += 1
        elif status in FINAL:
            report.rejected += 1
        else:
            report.waiting += 1


def pull_received(client: IntakeClient, inbox: Path, report: SyncReport) -> None:
    """Purchases into the inbox, the client's own sales as KSeF has them into inbox/sales."""
    cursor = 0
    while True:
        page = client.received(cursor)
        if not page["items"]:
            return
        done: list[int] = []
        for item in page["items"]:
            folder = inbox if item["subject_type"] == "Subject2" else inbox / "sales"
            folder.mkdir(parents=True, exist_ok=True)
            name = _SAFE.sub("_", item["ksef_number"] or f"invoice-{item['id']}")
            _write(folder / f"{name}.xml", client.received_xml(int(item["id"])))
            done.append(int(item["id"]))
        client.acknowledge(done)
        report.pulled += len(done)
        cursor = page["next_cursor"]


def sync_once(client: IntakeClient, outbox: Path, inbox: Path) -> SyncReport:
    report = SyncReport()
    outbox.mkdir(parents=True, exist_ok=True)
    inbox.mkdir(parents=True, exist_ok=True)
    for step in (push_outbox, collect_results):
        try:
            step(client, outbox, report)
        except IntakeError as error:
            report.errors.append(error.message)
            return report
    try:
        pull_received(client, inbox, report)
    except IntakeError as error:
        report.errors.append(error.message)
    return report
