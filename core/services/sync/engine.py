"""Receiving invoices, per client and subject type, by the high-water-mark method (PROTOCOL.md §7.4).

Windows on PermanentStorage dates, adjacent, at most three months (history backfill walks them in order; the
newest window asks KSeF to stop at its HWM). A window is read with metadata queries sorted ascending; few new
invoices are downloaded one by one, many go through an export package (its downloads are not rate limited). The
truncation rule is honoured: `isTruncated` moves `from` to the last record's date. Every stored page advances the
HWM in the same transaction.

A fleet sync is one job per client, run by worker processes of a few threads each (tests/bench/test_fleet_bench.py:
two processes of 8 threads on a 2-core machine). The profiles of the 300- and 3,000-client fleet syncs (py-spy on the
workers) put the engine's time in the HTTP client and SDK, in SQLAlchemy, and on SQLite in waiting for the one writer.
So a client's sync writes little and on short paths: no write per request (the limiter's per-context lease,
core/ksef/limiter.py); starts from two reads (`link_facts` is one join); stores a page with three multi-row Core
INSERTs, the unique key deciding what is new (`store_page`); and ends in one write holding each subject's last page,
the outcome, the problem opened or closed and the audit event (`record_outcome`). The worker refills a thread the
moment a job ends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa

from core.db import columns, session_scope
from core.ksef.errors import KsefFailure
from core.ksef.gateway import parse_ksef_datetime
from core.ksef.invoices import export_invoices
from core.ksef.transcript import Transcript
from core.models import Office, SyncState
from core.security import Actor, Permission
from core.services.linking.connection import KsefCall, LinkFacts, link_facts, open_ksef
from core.services.sync.outcome import SUBJECT_TYPES, SubjectReport, SyncReport, record_outcome
from core.services.sync.request import MIN_INTERVAL
from core.services.sync.store import ReceivedPage, known_numbers, retry_on_conflict, store_received, sync_state
from core.types import SubjectType, utcnow

WINDOW = timedelta(days=88)  # KSeF allows at most three months per query; 88 days always fits
PAGE_SIZE = 250
# Two subject types × 4 downloads stay inside KSeF's 16 downloads a minute per context; more goes by export.
INDIVIDUAL_DOWNLOAD_MAX = 4
DEFAULT_BACKFILL_FROM = datetime(2026, 2, 1, tzinfo=UTC)  # KSeF became mandatory


def sync_client(*, actor: Actor, client_id: int, subject_types: tuple[SubjectType, ...] = SUBJECT_TYPES) -> SyncReport:
    actor.require(Permission.run_operations)
    with session_scope() as session:  # two statements for everything a sync needs to start
        facts = link_facts(session, client_id, office_id=actor.office_id)
        states, offices = columns(SyncState), columns(Office)
        minutes = session.execute(
            sa.select(offices.sync_interval_minutes).where(offices.id == facts.office_id)
        ).scalar()
        interval = max(MIN_INTERVAL, timedelta(minutes=60 if minutes is None else minutes))
        hwm_query = sa.select(states.subject_type, states.hwm).where(
            states.client_id == client_id, states.hwm.is_not(None)
        )
        marks: dict[SubjectType, datetime] = {row.subject_type: row.hwm for row in session.execute(hwm_query)}
    report = SyncReport(client_id)
    transcript = Transcript()
    failure: KsefFailure | None = None
    with open_ksef(facts, actor, transcript=transcript) as call:
        for subject_type in subject_types:
            subject = SubjectReport(subject_type)
            report.subjects.append(subject)
            try:
                _sync_subject(call, facts, subject, marks.get(subject_type))
            except KsefFailure as raised:
                failure, subject.error = raised, str(raised)
    record_outcome(actor, facts, report, failure, transcript, next_due_at=utcnow() + interval)
    if failure is not None:  # a sync whose subjects failed is a failed job with its reason; the kind's policy retries
        raise failure
    return report


def _start_of(facts: LinkFacts, subject_type: SubjectType, hwm: datetime | None) -> datetime:
    if hwm is not None:
        return hwm
    return retry_on_conflict(partial(_first_start, facts, subject_type))  # a concurrent first sync made the row


def _first_start(facts: LinkFacts, subject_type: SubjectType) -> datetime:
    with session_scope(write=True) as session:
        state = sync_state(session, facts.client_id, subject_type)
        if state.hwm is not None:
            return state.hwm
        office = session.get(Office, facts.office_id)
        configured = (office.schedule or {}).get("backfill_from") if office else None
        start = parse_ksef_datetime(configured) if configured else None
        state.backfill_from = state.backfill_from or start or DEFAULT_BACKFILL_FROM
        session.add(state)
        return state.backfill_from


def _sync_subject(call: KsefCall, facts: LinkFacts, report: SubjectReport, hwm: datetime | None) -> None:
    start = _start_of(facts, report.subject_type, hwm)
    while True:
        date_range = window_range(start, utcnow())
        end = _read_window(call, facts, report, {"subjectType": report.subject_type, "dateRange": date_range})
        if is_newest(date_range):
            return
        start = next_window_start(start, end)


def window_range(start: datetime, now: datetime) -> dict[str, Any]:
    """The dateRange of the window opening at `start`: WINDOW long, or, when that reaches `now`, open-ended and
    stopping at KSeF's HWM (the newest window)."""
    date_range: dict[str, Any] = {"dateType": "PermanentStorage", "from": start.isoformat()}
    if start + WINDOW >= now:
        date_range["restrictToPermanentStorageHwmDate"] = True
    else:
        date_range["to"] = (start + WINDOW).isoformat()
    return date_range


def is_newest(date_range: dict[str, Any]) -> bool:
    return "to" not in date_range


def next_window_start(start: datetime, reached: datetime | None) -> datetime:
    """The next window opens where reading this one reached (its end), and never before this one's start."""
    return reached if reached is not None and reached > start else start + WINDOW


def _read_window(call: KsefCall, facts: LinkFacts, report: SubjectReport, filters: dict[str, Any]) -> datetime | None:
    """Read one window to its end; returns the HWM it reached."""
    offset = 0
    while True:
        page = call.run(partial(_query, call, filters, offset))
        report.metadata_queries += 1
        invoices: list[dict[str, Any]] = page.get("invoices", [])
        stored = known_numbers(facts.client_id, [m["ksefNumber"] for m in invoices])
        fresh = [m for m in invoices if m["ksefNumber"] not in stored]
        if len(fresh) > INDIVIDUAL_DOWNLOAD_MAX:
            return _export_window(call, facts, report, filters)
        items = [(meta, call.run(partial(call.gateway.invoice_xml, ksef_number=meta["ksefNumber"]))) for meta in fresh]
        report.downloads += len(items)
        done = not page.get("hasMore")
        hwm = window_end(filters, page) if done else _last_storage_date(invoices)
        report.hwm = hwm or report.hwm
        if done and is_newest(filters["dateRange"]):
            # The sync's last page of this subject is stored with the outcome, in its transaction (see record_outcome)
            report.pending = ReceivedPage(report.subject_type, items, hwm)
            return hwm
        report.new_invoices += store_received(
            office_id=facts.office_id,
            client_id=facts.client_id,
            subject_type=report.subject_type,
            items=items,
            new_hwm=hwm,
        )
        if done:
            return hwm
        filters, offset = next_page(filters, page, offset)


def next_page(filters: dict[str, Any], page: dict[str, Any], offset: int) -> tuple[dict[str, Any], int]:
    """The query after a page that has more: the next page, or, when KSeF truncated the result (10,000 records),
    the same filters from the last record's date with a fresh page count (PROTOCOL.md §7.2)."""
    if not page.get("isTruncated"):
        return filters, offset + 1
    last = page.get("invoices", [])[-1]["permanentStorageDate"]
    return {**filters, "dateRange": {**filters["dateRange"], "from": last}}, 0


def _query(call: KsefCall, filters: dict[str, Any], offset: int, access: str) -> dict[str, Any]:
    return call.gateway.query_metadata(access, filters, page_offset=offset, page_size=PAGE_SIZE)


def _export_window(call: KsefCall, facts: LinkFacts, report: SubjectReport, filters: dict[str, Any]) -> datetime | None:
    """Many new invoices: one export per up-to-10,000 invoices, continued by the package's own HWM fields."""
    while True:
        package = call.run(lambda access: export_invoices(call.gateway, access, filters))
        report.exports += 1
        metadata = sorted(package.metadata, key=lambda m: m.get("permanentStorageDate") or "")
        items = [(meta, package.documents.get(meta["ksefNumber"], b"")) for meta in metadata]
        truncated = bool(package.package.get("isTruncated"))
        if truncated:
            hwm = parse_ksef_datetime(package.package.get("lastPermanentStorageDate"))
        else:
            hwm = window_end(filters, package.package)
        for chunk_start in range(0, len(items), 500):
            chunk = items[chunk_start : chunk_start + 500]
            last_chunk = chunk_start + 500 >= len(items)
            report.new_invoices += store_received(
                office_id=facts.office_id, client_id=facts.client_id, subject_type=report.subject_type, items=chunk,
                new_hwm=hwm if last_chunk else _last_storage_date([m for m, _ in chunk]),
            )  # fmt: skip
        report.hwm = hwm or report.hwm
        if not truncated:
            return hwm
        filters["dateRange"]["from"] = package.package["lastPermanentStorageDate"]


def window_end(filters: dict[str, Any], answer: dict[str, Any]) -> datetime | None:
    """Where a fully read window leaves the HWM: KSeF's HWM for the newest window, the window's end otherwise."""
    if "to" in filters["dateRange"]:
        return parse_ksef_datetime(filters["dateRange"]["to"])
    return parse_ksef_datetime(answer.get("permanentStorageHwmDate"))


def _last_storage_date(invoices: list[dict[str, Any]]) -> datetime | None:
    return parse_ksef_datetime(invoices[-1]["permanentStorageDate"]) if invoices else None
