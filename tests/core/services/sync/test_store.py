"""Storing a received page in bulk, on SQLite and PostgreSQL: every invoice once with its document and one usage
event, ids matched to their own rows, the HWM moved with them, and a page stored again adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from core import db
from core.models import ClientCreate, Invoice, InvoiceDocument, SyncState, UsageEvent
from core.services.clients.register import insert_client
from core.services.sync.store import store_received
from core.types import SubjectType


def _meta(number: int) -> dict:
    return {
        "ksefNumber": f"5265877635-20260301-{number:010X}-AB",
        "invoiceNumber": f"FV/{number}",
        "issueDate": "2026-03-01",
        "permanentStorageDate": "2026-03-01T10:00:00+00:00",
        "seller": {"nip": "5265877635", "name": "Sprzedawca"},
        "buyer": {"identifier": {"type": "Nip", "value": "7279955607"}, "name": "Nabywca"},
        "grossAmount": "123.45",
        "currency": "PLN",
    }


def test_a_page_is_stored_in_bulk_once(any_office):
    with db.session_scope(write=True) as session:
        from core.models import Office

        office = session.get(Office, any_office.office_id)
        client_id = insert_client(session, office=office, data=ClientCreate(nip="7279955607", name="Klient")).id
    page = [(_meta(n), f"<xml>{n}</xml>".encode()) for n in range(1, 41)]
    hwm = datetime(2026, 3, 1, 10, tzinfo=UTC)
    stored = store_received(
        office_id=any_office.office_id, client_id=client_id, subject_type=SubjectType.Subject2, items=page, new_hwm=hwm
    )
    again = store_received(
        office_id=any_office.office_id, client_id=client_id, subject_type=SubjectType.Subject2, items=page[:5],
        new_hwm=None,
    )  # fmt: skip
    assert (stored, again) == (40, 0)
    with db.session_scope() as session:
        rows = session.execute(
            sa.select(Invoice.id, Invoice.ksef_number, Invoice.gross_amount, InvoiceDocument.xml).join(
                InvoiceDocument, InvoiceDocument.invoice_id == Invoice.id
            )
        ).all()
        assert len(rows) == 40
        for _id, number, gross, xml in rows:  # each document belongs to its own invoice
            assert xml == f"<xml>{int(number.split('-')[2], 16)}</xml>".encode() and gross == 12345
        usage = session.execute(sa.select(UsageEvent.invoice_id, UsageEvent.kind)).all()
        assert sorted(i for i, _ in usage) == sorted(i for i, *_ in rows)
        assert {kind for _, kind in usage} == {"invoice_received"}
        assert session.execute(sa.select(SyncState.hwm)).scalar_one().replace(tzinfo=UTC) == hwm
