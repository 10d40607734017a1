"""The Faktury list as a spreadsheet (issue 11 §8): the rows the filters match, labels for people, numbers as
numbers."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from core import db
from core.errors import InvalidInput
from core.models import AuditEvent
from core.services import invoices
from core.types import InvoiceStatus, SubjectType
from tests import seeding

HEADER_PL = [
    "Klient", "NIP klienta", "Kierunek", "Numer faktury", "Data wystawienia", "Sprzedawca", "NIP sprzedawcy",
    "Nabywca", "Identyfikator nabywcy", "Netto", "VAT", "Brutto", "Waluta", "Status", "Numer KSeF", "UPO",
    "Kod statusu",
]  # fmt: skip


@pytest.fixture
def listed(office):
    first, second = seeding.add_clients(office, 2)
    seeding.add_invoice(
        first, number="FV/1/2026", gross=123_456, net_amount=100_371, vat_amount=23_085, issue_date=date(2026, 11, 2),
        ksef_number="5265877635-20261102-0123456789AB-01", upo=b"<UPO/>", subject_type=SubjectType.Subject1,
        status=InvoiceStatus.accepted, buyer_name="Nabywca S.A.", buyer_identifier="7907531030",
    )  # fmt: skip
    seeding.add_invoice(first, number="FZ/7/2026", gross=5_000, issue_date=date(2026, 11, 5))
    seeding.add_invoice(second, number="FZ/8/2026", gross=9_900, issue_date=date(2026, 11, 6))
    return first, second


def test_the_filtered_list_exports_to_xlsx_with_labels_numbers_and_dates(office, listed):
    first, _second = listed
    name, mime, data = invoices.export_invoices(actor=office.analyst, fmt="xlsx", client_id=first)
    assert name.startswith("faktury_") and name.endswith(".xlsx") and "spreadsheetml" in mime
    rows = [list(row) for row in load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True)]
    assert rows[0] == HEADER_PL
    assert [row[3] for row in rows[1:]] == ["FZ/7/2026", "FV/1/2026"]  # only the chosen client, newest first
    sale = rows[2]
    assert sale[:4] == ["Firma 01", sale[1], "sprzedaż", "FV/1/2026"]
    assert sale[4] == datetime(2026, 11, 2)  # a date cell Excel can sort
    assert sale[9:13] == [1003.71, 230.85, 1234.56, "PLN"]  # amounts as numbers
    assert sale[13:] == ["przyjęta", "5265877635-20261102-0123456789AB-01", "tak", "accepted"]  # label, code apart
    with db.session_scope() as session:
        audited = session.execute(sa.select(AuditEvent.action, AuditEvent.actor)).all()
    assert ("invoices.export", "analityk") in audited


def test_the_csv_opens_in_polish_excel_and_speaks_english_when_asked(office, listed):
    _name, _mime, data = invoices.export_invoices(actor=office.manager, fmt="csv", search="fz/")
    text = data.decode("utf-8")
    assert text.startswith("\ufeffKlient;NIP klienta;Kierunek;")
    lines = text.strip().split("\r\n")
    assert len(lines) == 3 and all("zakup" in line for line in lines[1:])
    assert ";02.11.2026;" not in text and ";06.11.2026;" in lines[1] and ";99,00;" in lines[1]
    english = invoices.export_invoices(actor=office.manager, fmt="csv", lang="en", search="fz/")[2].decode("utf-8")
    assert english.startswith("\ufeffClient;Client NIP;Direction;") and ";purchase;" in english


def test_a_list_too_long_for_a_download_is_refused_with_what_to_do(office, listed, monkeypatch):
    monkeypatch.setattr(invoices, "EXPORT_MAX_ROWS", 2)
    assert invoices.count_invoices(actor=office.analyst) == 3
    with pytest.raises(InvalidInput, match="Zawęź filtr"):
        invoices.export_invoices(actor=office.analyst, fmt="xlsx")
