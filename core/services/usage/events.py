"""Counting a document operation: one usage event per invoice and kind (DESIGN.md §3 F.15).

Every invoice sent (accepted) or received (downloaded) is one operation of the office's package, attributed to the
client, whoever ran it. The event is added to the caller's transaction, so it commits with the invoice row it counts;
the table's UNIQUE (invoice, kind) keeps a retried job from counting twice.
"""

from __future__ import annotations

from sqlmodel import Session

from core.models import UsageEvent
from core.types import UsageKind


def count_operation(session: Session, *, office_id: int, client_id: int, invoice_id: int, kind: UsageKind) -> None:
    session.add(UsageEvent(office_id=office_id, client_id=client_id, invoice_id=invoice_id, kind=kind))
