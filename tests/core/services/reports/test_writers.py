"""Files for people: CSV that Polish Excel opens (UTF-8 with BOM, `;`, decimal comma, DD.MM.RRRR) and XLSX; coded
values as labels with the code in its own column; nothing a spreadsheet would run as a formula."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from core.services.reports.registry import REPORTS, ReportKind
from core.services.reports.rows import UsageMonthRow
from core.services.reports.writers import Sheet, excel_text, neutralise, sheet, write_csv, write_xlsx
from core.types import UsageKind


def _sheet() -> Sheet:
    rows = [
        ["5265877635", "Piekarnia; „Złota” Kłos", Decimal("1234.56"), date(2026, 11, 3), 7],
        ["1234563218", 'Firma "Cudzysłów"', 0.5, datetime(2026, 11, 30, 23, 30, tzinfo=UTC), 0],
    ]
    return Sheet("test", ["NIP", "Nazwa", "Kwota", "Data", "Liczba"], rows)


def test_csv_is_what_polish_excel_expects():
    buffer = io.BytesIO()
    assert write_csv(_sheet(), buffer) == 2
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
    assert write_xlsx(_sheet(), buffer) == 2
    worksheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    rows = list(worksheet.iter_rows(values_only=True))
    assert rows[0] == ("NIP", "Nazwa", "Kwota", "Data", "Liczba")
    assert rows[1][0] == "5265877635" and rows[1][2] == 1234.56 and rows[1][4] == 7
    assert rows[1][3] == datetime(2026, 11, 3)
    assert rows[2][3] == datetime(2026, 12, 1, 0, 30)


@pytest.mark.parametrize(
    "payload", ['=HYPERLINK("http://zly.example","x")', "+48 123", "-2+3", "@SUM(A1)", "\tx", "\rx"]
)
def test_formulas_reach_csv_as_plain_text(payload):
    """OWASP CSV injection: a cell starting with = + - @ tab or CR gets a leading apostrophe."""
    buffer = io.BytesIO()
    write_csv(Sheet("t", ["Nazwa", "Numer"], [[payload, payload]]), buffer)
    parsed = list(csv.reader(io.StringIO(buffer.getvalue().decode("utf-8-sig")), delimiter=";"))
    assert parsed[1] == ["'" + payload, "'" + payload]
    assert neutralise("Firma") == "Firma" and excel_text(-2) == "-2"  # numbers stay numbers


def test_formulas_reach_xlsx_as_text_cells():
    buffer = io.BytesIO()
    payload = '=HYPERLINK("http://zly.example","x")'
    write_xlsx(Sheet("t", ["Nazwa"], [[payload]]), buffer)
    cell = load_workbook(io.BytesIO(buffer.getvalue())).active["A2"]
    assert cell.data_type == "s" and cell.value == payload


def test_coded_values_are_labels_in_the_readers_language_with_the_code_beside():
    row = UsageMonthRow("5265877635", "Firma", "2026-11", UsageKind.invoice_sent, 3)
    polish = sheet(REPORTS[ReportKind.usage], [row])
    assert polish.header == ["NIP", "Nazwa", "Miesiąc pakietu", "Rodzaj operacji", "Kod rodzaju", "Liczba operacji"]
    assert list(polish.rows) == [["5265877635", "Firma", "2026-11", "faktura wysłana", "invoice_sent", 3]]
    english = sheet(REPORTS[ReportKind.usage], [row], "en")
    assert english.header[3:5] == ["Operation kind", "Kind code"] and english.name == "usage"
    assert next(iter(english.rows))[3] == "invoice sent"


def test_tables_on_pages_offer_no_raw_csv_download():
    """Streamlit's own table download would write names like "=HYPERLINK(…)" unneutralised: it is switched off."""
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).parents[4] / ".streamlit" / "config.toml").read_text())
    assert config["client"]["disableDataExport"] is True
