"""Polish and KSeF identifiers: NIP, PESEL, KSeF number (CRC-8) and the company key.

Every malformation raises its own exception class (an InvalidInput) carrying a catalogue text, so forms, imports and
the CLI can tell the user exactly what is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from core.errors import InvalidInput
from core.texts import Text

NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)
PESEL_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
NIP_PATTERN = re.compile(r"[1-9]((\d[1-9])|([1-9]\d))\d{7}")  # the KSeF schema's pattern (PROTOCOL.md §8)
KSEF_NUMBER_PATTERN = re.compile(r"(\d{10})-(\d{8})-([0-9A-F]{12})-([0-9A-F]{2})")
COMPANY_KEY_SEPARATOR = ";"
_ACCOUNT_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,40}")
_COMPANY_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,40}")


class IdentifierError(InvalidInput):
    """Base of every identifier error; `str(error)` is the Polish message."""


class NipError(IdentifierError):
    pass


class NipFormatError(NipError):
    pass


class NipChecksumError(NipError):
    pass


class PeselError(IdentifierError):
    pass


class PeselFormatError(PeselError):
    pass


class PeselDateError(PeselError):
    pass


class PeselChecksumError(PeselError):
    pass


class KsefNumberError(IdentifierError):
    pass


class KsefNumberFormatError(KsefNumberError):
    pass


class KsefNumberChecksumError(KsefNumberError):
    pass


class CompanyKeyError(IdentifierError):
    pass


class CompanyKeyEmptyError(CompanyKeyError):
    pass


class CompanyKeyPartsError(CompanyKeyError):
    pass


class CompanyKeyAccountError(CompanyKeyError):
    pass


class CompanyKeyCompanyIdError(CompanyKeyError):
    pass


class CompanyKeyNipError(CompanyKeyError):
    pass


# --- NIP ----


def normalise_nip(raw: str) -> str:
    """Strip what people type around a NIP: spaces, dashes and a PL prefix."""
    text = str(raw).strip().upper().removeprefix("PL")
    return re.sub(r"[\s-]", "", text)


def nip_check_digit(first_nine: str) -> int | None:
    """The tenth digit for nine digits, or None when no digit fits (the sum mod 11 is 10)."""
    total = sum(int(d) * w for d, w in zip(first_nine, NIP_WEIGHTS, strict=True)) % 11
    return None if total == 10 else total


def validate_nip(raw: str) -> str:
    nip = normalise_nip(raw)
    if not re.fullmatch(r"\d{10}", nip):
        raise NipFormatError(Text("ids.nip.digits", nip=str(raw)))
    if not NIP_PATTERN.fullmatch(nip):
        raise NipFormatError(Text("ids.nip.invalid", nip=nip))
    if nip_check_digit(nip[:9]) != int(nip[9]):
        raise NipChecksumError(Text("ids.nip.checksum", nip=nip))
    return nip


def is_valid_nip(raw: str) -> bool:
    try:
        validate_nip(raw)
    except NipError:
        return False
    return True


# --- PESEL ----


def pesel_birth_date(pesel: str) -> date:
    year, month, day = int(pesel[0:2]), int(pesel[2:4]), int(pesel[4:6])
    century = {0: 1900, 20: 2000, 40: 2100, 60: 2200, 80: 1800}[(month - 1) // 20 * 20]
    return date(century + year, month % 20, day)


def pesel_check_digit(first_ten: str) -> int:
    return (10 - sum(int(d) * w for d, w in zip(first_ten, PESEL_WEIGHTS, strict=True)) % 10) % 10


def validate_pesel(raw: str) -> str:
    pesel = str(raw).strip()
    if not re.fullmatch(r"\d{11}", pesel):
        raise PeselFormatError(Text("ids.pesel.digits", pesel=str(raw)))
    try:
        pesel_birth_date(pesel)
    except (ValueError, KeyError):
        raise PeselDateError(Text("ids.pesel.date", pesel=pesel)) from None
    if pesel_check_digit(pesel[:10]) != int(pesel[10]):
        raise PeselChecksumError(Text("ids.pesel.checksum", pesel=pesel))
    return pesel


# --- KSeF number ----


def crc8(data: bytes) -> str:
    """CRC-8/SMBUS (poly 0x07, init 0, MSB first, no reflection, no final XOR) as two uppercase hex digits."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return f"{crc:02X}"


def ksef_number(nip: str, day: date, technical: str) -> str:
    """Build a KSeF number from the seller's NIP, the acceptance day and 12 uppercase hex characters."""
    body = f"{nip}-{day:%Y%m%d}-{technical.upper()}"
    if not re.fullmatch(r"\d{10}-\d{8}-[0-9A-F]{12}", body):
        raise KsefNumberFormatError(Text("ids.ksef_number.cannot_build", body=body))
    return f"{body}-{crc8(body.encode('ascii'))}"


def validate_ksef_number(raw: str) -> str:
    number = str(raw).strip()
    match = KSEF_NUMBER_PATTERN.fullmatch(number)
    if not match:
        raise KsefNumberFormatError(Text("ids.ksef_number.format", number=number))
    try:
        date(int(match[2][:4]), int(match[2][4:6]), int(match[2][6:]))
    except ValueError:
        raise KsefNumberFormatError(Text("ids.ksef_number.date", number=number)) from None
    if crc8(number[:32].encode("ascii")) != match[4]:
        raise KsefNumberChecksumError(Text("ids.ksef_number.checksum", number=number))
    return number


# --- company key ----


@dataclass(frozen=True)
class CompanyKey:
    """`<officeAccountId>;<companyId>;<NIP>`, the shape Symfonia's cloud uses (DESIGN.md §3 A.2)."""

    account_id: str
    company_id: str
    nip: str

    def __str__(self) -> str:
        return format_company_key(self.account_id, self.company_id, self.nip)


def format_company_key(account_id: str, company_id: str, nip: str) -> str:
    if not _ACCOUNT_ID_PATTERN.fullmatch(account_id):
        raise CompanyKeyAccountError(Text("ids.account_id.invalid", account_id=repr(account_id)))
    if not _COMPANY_ID_PATTERN.fullmatch(company_id):
        raise CompanyKeyCompanyIdError(Text("ids.company_id.invalid", company_id=repr(company_id)))
    return COMPANY_KEY_SEPARATOR.join((account_id, company_id, validate_nip(nip)))


def parse_company_key(raw: str) -> CompanyKey:
    text = str(raw or "").strip()
    if not text:
        raise CompanyKeyEmptyError(Text("ids.company_key.empty"))
    parts = [part.strip() for part in text.split(COMPANY_KEY_SEPARATOR)]
    if len(parts) != 3:
        raise CompanyKeyPartsError(Text("ids.company_key.parts", count=len(parts)))
    account_id, company_id, nip = parts
    if not _ACCOUNT_ID_PATTERN.fullmatch(account_id):
        raise CompanyKeyAccountError(Text("ids.company_key.account", account_id=repr(account_id)))
    if not _COMPANY_ID_PATTERN.fullmatch(company_id):
        raise CompanyKeyCompanyIdError(Text("ids.company_key.company", company_id=repr(company_id)))
    try:
        valid_nip = validate_nip(nip)
    except NipError as error:
        raise CompanyKeyNipError(Text("ids.company_key.nip", error=error.message)) from None
    return CompanyKey(account_id=account_id, company_id=company_id, nip=valid_nip)
