"""Report files for people: CSV that Polish Excel opens (`;`, UTF-8 with BOM, decimal comma, DD.MM.RRRR) and XLSX.

Coded values become catalogue labels in the reader's language. Text cells that a spreadsheet would run as a formula
(starting with `=`, `+`, `-`, `@`, a tab or a carriage return — client names, ERP ids and supplier-controlled invoice
numbers can) are neutralised in CSV as OWASP recommends, with a leading apostrophe; XLSX writes them as text cells,
which Excel never evaluates.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from core.formatting import WARSAW, format_date, format_datetime
from core.services.reports.registry import ReportSpec
from core.texts import DEFAULT_LANGUAGE, Text, render

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Sheet:
    """What a writer needs: a name, the headers and the rows as cells (values, labels already rendered)."""

    name: str
    header: list[str]
    rows: Iterable[list[Any]]


def sheet(spec: ReportSpec, rows: Iterable[Any], lang: str = DEFAULT_LANGUAGE) -> Sheet:
    header = [render(column.header, lang) for column in spec.columns]
    return Sheet(render(spec.file_stem, lang), header, (cells(spec, row, lang) for row in rows))


def cells(spec: ReportSpec, row: Any, lang: str = DEFAULT_LANGUAGE) -> list[Any]:
    """One row as cells: coded values as labels (or their code in a code column), texts in `lang`, None as empty."""
    out: list[Any] = []
    for column in spec.columns:
        value = getattr(row, column.key)
        if value is None:
            out.append("")
        elif column.label:
            out.append(render(f"{column.label}.{value}", lang))
        elif isinstance(value, Text):
            out.append(value.render(lang))
        else:
            out.append(value)
    return out


def neutralise(text: str) -> str:
    """A text cell a spreadsheet would run as a formula, made plain text (OWASP, CSV injection)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def excel_text(value: Any) -> str:
    """One cell as Polish Excel reads it: DD.MM.RRRR dates, decimal comma, formulas neutralised."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, seconds=True)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal | float):
        return f"{value}".replace(".", ",")
    return neutralise(str(value))


def write_csv(table: Sheet, out: IO[bytes]) -> int:
    """`;`-separated UTF-8 with BOM; returns the number of data rows."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=False)
    text.write(BOM)
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in table.header])
    count = 0
    for row in table.rows:
        writer.writerow([excel_text(v) for v in row])
        count += 1
    text.flush()
    text.detach()
    return count


def write_xlsx(table: Sheet, out: IO[bytes] | str) -> int:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            "remove_timezone": True,
            "in_memory": not isinstance(out, str),
            "strings_to_formulas": False,  # a name like "=HYPERLINK(…)" stays text
            "strings_to_urls": False,
        },
    )
    worksheet = workbook.add_worksheet(table.name[:31])
    bold = workbook.add_format({"bold": True})
    date_format = workbook.add_format({"num_format": "dd.mm.yyyy"})
    time_format = workbook.add_format({"num_format": "dd.mm.yyyy hh:mm:ss"})
    worksheet.write_row(0, 0, table.header, bold)
    count = 0
    for count, row in enumerate(table.rows, start=1):
        for column, value in enumerate(row):
            if isinstance(value, datetime):
                worksheet.write_datetime(count, column, value.astimezone(WARSAW).replace(tzinfo=None), time_format)
            elif isinstance(value, date):
                worksheet.write_datetime(count, column, datetime(value.year, value.month, value.day), date_format)  # noqa: DTZ001 - Excel has no zones
            elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                worksheet.write_number(count, column, float(value))
            else:
                worksheet.write_string(count, column, str(value))
    worksheet.freeze_panes(1, 0)
    workbook.close()
    return count
