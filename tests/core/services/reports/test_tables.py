"""CSV that Polish Excel opens: UTF-8 with BOM, `;` between fields, decimal comma, DD.MM.RRRR dates; and XLSX."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

from openpyxl import load_workbook

from core.services.reports.tables import Report, excel_text, write_csv, write_xlsx


def _report() -> Report:
    rows = [
        ["5265877635", "Piekarnia; „Złota” Kłos", Decimal("1234.56"), date(2026, 11, 3), 7],
        ["1234563218", 'Firma "Cudzysłów"', 0.5, datetime(2026, 11, 30, 23, 30, tzinfo=UTC), 0],
    ]
    return Report("test", ["NIP", "Nazwa", "Kwota", "Data", "Liczba"], rows)


def test_csv_is_what_polish_excel_expects():
    buffer = io.BytesIO()
    assert write_csv(_report(), buffer) == 2
    raw = buffer.getvalue()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0] == "NIP;Nazwa;Kwota;Data;Liczba"
    parsed = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert parsed[1] == ["5265877635", "Piekarnia; „Złota” Kłos", "1234,56", "03.11.2026", "7"]
    assert parsed[2][2:4] == ["0,5", "01.12.2026 00:30:00"]  # Warsaw time, decimal comma
    assert parsed[2][1] == 'Firma "Cudzysłów"'


def test_cells_without_value_stay_empty():
    assert excel_text(None) == "" and excel_text("") == ""


def test_xlsx_keeps_types_and_rows():
    buffer = io.BytesIO()
    assert write_xlsx(_report(), buffer) == 2
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("NIP", "Nazwa", "Kwota", "Data", "Liczba")
    assert rows[1][0] == "5265877635" and rows[1][2] == 1234.56 and rows[1][4] == 7
    assert rows[1][3] == datetime(2026, 11, 3)
    assert rows[2][3] == datetime(2026, 12, 1, 0, 30)
