"""What a sync did: per subject type its new invoices and error, recorded with the problem it opens or closes and
its audit event in one transaction; and what screens show of it (HWM, last success, next run, completeness)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import select

from core import audit
from core.db import session_scope
from core.ksef.errors import KsefFailure
from core.ksef.transcript import Transcript
from core.models import SyncState
from core.security import Actor, Permission
from core.services import problems
from core.services.linking.connection import LinkFacts
from core.services.linking.status import refresh_link_status
from core.services.scope import client_in_office
from core.services.sync.store import ReceivedPage, record_sync_outcome, retry_on_conflict, store_page
from core.types import SubjectType

SUBJECT_TYPES = (SubjectType.Subject1, SubjectType.Subject2)
OPERATION = "sync"


@dataclass
class SubjectReport:
    subject_type: SubjectType
    new_invoices: int = 0
    metadata_queries: int = 0
    downloads: int = 0
    exports: int = 0
    hwm: datetime | None = None
    error: str = ""
    pending: ReceivedPage | None = None  # the last page read, stored with the outcome


@dataclass
class SyncReport:
    client_id: int
    subjects: list[SubjectReport] = field(default_factory=list)

    @property
    def new_invoices(self) -> int:
        return sum(s.new_invoices for s in self.subjects)

    @property
    def ok(self) -> bool:
        return not any(s.error for s in self.subjects)


def record_outcome(
    actor: Actor,
    facts: LinkFacts,
    report: SyncReport,
    failure: KsefFailure | None,
    transcript: Transcript,
    *,
    next_due_at: datetime,
) -> None:
    """The outcome of every subject type, the problem opened or closed and the audit event, in one transaction; with
    each subject's last page read (`pending`), so a sync of a client with little new ends in one write instead of
    three (the 300-client fleet's profile: a write transaction costs CPU and, on SQLite, a turn at the one writer)."""

    def write() -> dict[SubjectType, int]:  # again from the start if a concurrent sync made a row first
        stored: dict[SubjectType, int] = {}
        with session_scope(write=True) as session:
            for subject in report.subjects:
                if subject.pending is not None:
                    stored[subject.subject_type] = store_page(
                        session.connection(), office_id=facts.office_id, client_id=facts.client_id,
                        page=subject.pending,
                    )  # fmt: skip
                record_sync_outcome(
                    session, client_id=facts.client_id, subject_type=subject.subject_type, error=subject.error,
                    next_due_at=next_due_at,
                )  # fmt: skip
            if failure is None:
                changed = problems.resolve(session, client_id=facts.client_id, operations=[OPERATION])
            else:
                problems.record_failure(
                    session, office_id=facts.office_id, client_id=facts.client_id, operation=OPERATION,
                    failure=failure, transcript=transcript.tail(),
                )  # fmt: skip
                changed = 1
            if changed:  # a sync moves the link status only by opening or closing a problem
                refresh_link_status(session, facts.client_id)
            new = report.new_invoices + sum(stored.values())
            audit.record(session, actor, "sync.run", f"client:{facts.client_id}", new=new, ok=failure is None)
        return stored

    stored = retry_on_conflict(write)
    for subject in report.subjects:
        subject.new_invoices += stored.get(subject.subject_type, 0)
        subject.pending = None


@dataclass(frozen=True)
class SyncStatus:
    subject_type: SubjectType
    hwm: datetime | None
    last_success_at: datetime | None
    next_due_at: datetime | None
    consecutive_failures: int
    last_error: str


def sync_status(*, actor: Actor, client_id: int) -> list[SyncStatus]:
    actor.require(Permission.view)

    with session_scope() as session:
        client_in_office(session, actor, client_id)
        rows = session.exec(select(SyncState).where(SyncState.client_id == client_id)).all()
        return [
            SyncStatus(r.subject_type, r.hwm, r.last_success_at, r.next_due_at, r.consecutive_failures, r.last_error)
            for r in sorted(rows, key=lambda r: r.subject_type)
        ]


def complete_until(statuses: list[SyncStatus]) -> datetime | None:
    """Month-close completeness: every subject type is stored up to this instant ("kompletne do …")."""
    marks = [s.hwm for s in statuses]
    if len(marks) < len(SUBJECT_TYPES) or any(m is None for m in marks):
        return None
    return min(m for m in marks if m is not None)
