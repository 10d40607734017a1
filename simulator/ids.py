"""NIP, PESEL and KSeF numbers as KSeF itself checks and builds them.

The simulator is an independent implementation of KSeF, so it keeps its own copy of these rules rather than the
console's (core.ids): a test that passes on both is then evidence that each side read the specification right.
"""

from __future__ import annotations

import re
from datetime import date

NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)
PESEL_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
NIP_PATTERN = re.compile(r"[1-9]((\d[1-9])|([1-9]\d))\d{7}")  # the KSeF schema's pattern (PROTOCOL.md §8)


class NipError(ValueError):
    """`str(error)` is the Polish message the admin API answers with."""


class PeselError(ValueError):
    pass


def nip_check_digit(first_nine: str) -> int | None:
    """The tenth digit for nine digits, or None when no digit fits (the sum mod 11 is 10)."""
    total = sum(int(d) * w for d, w in zip(first_nine, NIP_WEIGHTS, strict=True)) % 11
    return None if total == 10 else total


def validate_nip(raw: str) -> str:
    """The NIP without the spaces, dashes and PL prefix people type around it."""
    nip = re.sub(r"[\s-]", "", str(raw).strip().upper().removeprefix("PL"))
    if not re.fullmatch(r"\d{10}", nip):
        raise NipError(f"NIP {raw!s} musi mieć 10 cyfr")
    if not NIP_PATTERN.fullmatch(nip):
        raise NipError(f"NIP {nip} nie jest poprawnym numerem NIP")
    if nip_check_digit(nip[:9]) != int(nip[9]):
        raise NipError(f"NIP {nip} ma błędną sumę kontrolną")
    return nip


def validate_pesel(raw: str) -> str:
    pesel = str(raw).strip()
    if not re.fullmatch(r"\d{11}", pesel):
        raise PeselError(f"PESEL {raw!s} musi mieć 11 cyfr")
    year, month, day = int(pesel[0:2]), int(pesel[2:4]), int(pesel[4:6])
    # The month carries the century: +80 for the 1800s, +0 for the 1900s, +20 for the 2000s and so on.
    century = {0: 1900, 20: 2000, 40: 2100, 60: 2200, 80: 1800}.get((month - 1) // 20 * 20)
    try:
        if century is None:
            raise ValueError(month)
        date(century + year, month % 20, day)
    except ValueError:
        raise PeselError(f"PESEL {pesel} zawiera niemożliwą datę urodzenia") from None
    check = (10 - sum(int(d) * w for d, w in zip(pesel[:10], PESEL_WEIGHTS, strict=True)) % 10) % 10
    if check != int(pesel[10]):
        raise PeselError(f"PESEL {pesel} ma błędną sumę kontrolną")
    return pesel


def crc8(data: bytes) -> str:
    """CRC-8/SMBUS (poly 0x07, init 0, MSB first, no reflection, no final XOR) as two uppercase hex digits."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return f"{crc:02X}"


def ksef_number(nip: str, day: date, technical: str) -> str:
    """`NIP-YYYYMMDD-12 hex characters-CRC-8 of what precedes it` (PROTOCOL.md §8)."""
    body = f"{nip}-{day:%Y%m%d}-{technical.upper()}"
    if not re.fullmatch(r"\d{10}-\d{8}-[0-9A-F]{12}", body):
        raise ValueError(f"nie można zbudować numeru KSeF z {body}")
    return f"{body}-{crc8(body.encode('ascii'))}"
