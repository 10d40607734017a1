"""Polish identifiers as KSeF checks them (PROTOCOL.md §8): NIP, PESEL and the KSeF number with its CRC-8.

The simulator's own implementation, written from the spec; it shares nothing with the console, so a bug in one cannot
hide the same bug in the other.
"""

from __future__ import annotations

import re
from datetime import date

# KSeF's NIP pattern: no leading zero, digits 2-3 not both zero.
_NIP = re.compile(r"[1-9](?:\d[1-9]|[1-9]\d)\d{7}")
_NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)
_PESEL = re.compile(r"\d{2}(?:0[1-9]|1[0-2]|2[1-9]|3[0-2]|4[1-9]|5[0-2]|6[1-9]|7[0-2]|8[1-9]|9[0-2])\d{7}")
_PESEL_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
_PESEL_CENTURY = {0: 1900, 20: 2000, 40: 2100, 60: 2200, 80: 1800}  # added to the month: 1900 +0, 2000 +20, ...
_KSEF_NUMBER = re.compile(r"\d{10}-\d{8}-[0-9A-F]{12}-[0-9A-F]{2}")


class IdentifierError(ValueError):
    """The message is one sentence in Polish, fit for an admin API error."""


def nip_check_digit(first_nine: str) -> int | None:
    """The tenth digit of a NIP, or None when the weighted sum gives 10 (no NIP has such a prefix)."""
    digit = sum(int(d) * w for d, w in zip(first_nine, _NIP_WEIGHTS, strict=True)) % 11
    return None if digit == 10 else digit


def validate_nip(value: object) -> str:
    """The NIP itself if it is 10 digits in KSeF's pattern with a correct check digit; IdentifierError otherwise."""
    if not isinstance(value, str) or not _NIP.fullmatch(value):
        raise IdentifierError(f"{value!r} nie jest numerem NIP (10 cyfr, bez zera na początku).")
    if nip_check_digit(value[:9]) != int(value[9]):
        raise IdentifierError(f"NIP {value} ma błędną cyfrę kontrolną.")
    return value


def validate_pesel(value: object) -> str:
    """The PESEL itself if its date of birth exists and its check digit is right; IdentifierError otherwise."""
    if not isinstance(value, str) or not _PESEL.fullmatch(value):
        raise IdentifierError(f"{value!r} nie jest numerem PESEL (11 cyfr z datą urodzenia).")
    encoded_month = int(value[2:4])
    year = _PESEL_CENTURY[encoded_month // 20 * 20] + int(value[:2])
    try:
        date(year, encoded_month % 20, int(value[4:6]))
    except ValueError:
        raise IdentifierError(f"PESEL {value} zawiera nieistniejącą datę urodzenia.") from None
    check = (10 - sum(int(d) * w for d, w in zip(value[:10], _PESEL_WEIGHTS, strict=True)) % 10) % 10
    if check != int(value[10]):
        raise IdentifierError(f"PESEL {value} ma błędną cyfrę kontrolną.")
    return value


def crc8(data: bytes) -> int:
    """CRC-8 with polynomial 0x07, initial value 0, MSB first, no reflection and no final XOR."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def ksef_number(seller_nip: str, day: date, technical: str) -> str:
    """`NIP-YYYYMMDD-TTTTTTTTTTTT-CC`: CC is the CRC-8 of the first 32 characters, as two uppercase hex digits."""
    if len(technical) != 12:
        raise ValueError("the technical part of a KSeF number has 12 hex characters")
    head = f"{seller_nip}-{day:%Y%m%d}-{technical.upper()}"
    return f"{head}-{crc8(head.encode('ascii')):02X}"


def is_valid_ksef_number(value: str) -> bool:
    """A 35-character KSeF 2.0 number whose CRC-8 matches."""
    return bool(_KSEF_NUMBER.fullmatch(value)) and f"{crc8(value[:32].encode('ascii')):02X}" == value[33:]
