"""`new_row` gives the same column values as building the table model and dumping it (the hot paths' bulk INSERTs
rely on it), with fresh values from default factories for every row."""

from __future__ import annotations

from datetime import date, timedelta

from core.models import Invoice, UsageEvent
from core.models.base import new_row
from core.types import InvoiceStatus, SubjectType, UsageKind, utcnow


def _without_moments(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in {"created_at", "updated_at", "occurred_at"}}


def test_an_invoice_row_is_what_the_model_dumps():
    values = {
        "client_id": 7,
        "subject_type": SubjectType.Subject2,
        "status": InvoiceStatus.received,
        "ksef_number": "X" * 36,
        "issue_date": date(2026, 11, 30),
        "gross_amount": 12345,
    }
    before = utcnow()
    row = new_row(Invoice, **values)
    dumped = Invoice(**values).model_dump(exclude={"id"})
    assert set(row) == set(dumped)
    assert _without_moments(row) == _without_moments(dumped)
    assert before <= row["created_at"] <= utcnow() and row["created_at"].tzinfo is not None


def test_default_factories_give_every_row_its_own_value():
    first, second = new_row(Invoice, client_id=1), new_row(Invoice, client_id=2)
    assert first["error_details"] == [] and first["error_details"] is not second["error_details"]
    moment = utcnow() - timedelta(days=1)
    assert new_row(Invoice, client_id=1, created_at=moment)["created_at"] == moment


def test_a_usage_event_row_is_what_the_model_dumps():
    values = {"office_id": 1, "client_id": 2, "invoice_id": 3, "kind": UsageKind.invoice_received}
    row, dumped = new_row(UsageEvent, **values), UsageEvent(**values).model_dump(exclude={"id"})
    assert set(row) == set(dumped) and _without_moments(row) == _without_moments(dumped)
