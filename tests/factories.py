"""Test data: valid NIPs and client files the way accounting programs export them."""

from __future__ import annotations

import io
import random

from core.ids import NIP_PATTERN, nip_check_digit


def valid_nips(count: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    found: list[str] = []
    while len(found) < count:
        body = str(rng.randint(100_000_000, 999_999_999))
        check = nip_check_digit(body)
        nip = f"{body}{check}" if check is not None else ""
        if nip and NIP_PATTERN.fullmatch(nip) and nip not in found:
            found.append(nip)
    return found


def clients_csv(
    rows: list[dict[str, str]], *, delimiter: str = ";", bom: bool = True, encoding: str = "utf-8"
) -> bytes:
    header = ["NIP", "nazwa", "e-mail", "id w ERP", "środowisko"]
    lines = [delimiter.join(header)]
    for row in rows:
        lines.append(delimiter.join(row.get(k, "") for k in ("nip", "name", "email", "erp_id", "environment")))
    text = "\r\n".join(lines) + "\r\n"
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom and encoding == "utf-8" else data


def clients_xlsx(rows: list[dict[str, object]]) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("Klienci")
    sheet.write_row(0, 0, ["NIP", "Nazwa", "E-mail", "Id w ERP", "Środowisko"])
    for index, row in enumerate(rows, start=1):
        sheet.write_row(index, 0, [row.get(k, "") for k in ("nip", "name", "email", "erp_id", "environment")])
    workbook.close()
    return buffer.getvalue()


def two_hundred_clients_with_three_bad_rows() -> tuple[bytes, list[str]]:
    """The acceptance file of the foundation issue: 200 clients, rows 17, 90 and 150 bad."""
    nips = valid_nips(200, seed=7)
    rows = [
        {"nip": nip, "name": f"Firma {i} sp. z o.o.", "email": f"firma{i}@example.pl", "erp_id": f"K{i}"}
        for i, nip in enumerate(nips, start=1)
    ]
    rows[15]["nip"] = "1234567890"  # spreadsheet row 17: bad checksum
    rows[88]["email"] = "to-nie-jest-email"  # row 90
    rows[148]["nip"] = rows[10]["nip"]  # row 150: duplicate of row 12
    expected = [
        "wiersz 17: NIP 1234567890 ma błędną sumę kontrolną",
        "wiersz 90: adres e-mail 'to-nie-jest-email' jest niepoprawny",
        f"wiersz 150: NIP {rows[10]['nip']} powtarza się w pliku (pierwszy raz w wierszu 12)",
    ]
    return clients_csv(rows), expected
