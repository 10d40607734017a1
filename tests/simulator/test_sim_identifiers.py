"""The simulator's own NIP, PESEL and KSeF-number rules, checked against the examples of the official spec."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest

from simulator.identifiers import (
    IdentifierError,
    crc8,
    is_valid_ksef_number,
    ksef_number,
    nip_check_digit,
    validate_nip,
    validate_pesel,
)

# KSeF numbers printed in the official OpenAPI, PROTOCOL.md §8 and the official UPO samples.
OFFICIAL_KSEF_NUMBERS = [
    "5265877635-20250826-0100001AF629-AF",
    "5265877635-20250626-010080DD2B5E-26",
    "5265877635-20250925-010020A0A242-0A",
    "5555555555-20250828-010080615740-E4",
    "5265877635-20250916-0200A0D6723E-C2",
    "5265877635-20250916-010040741B3E-46",
]


@pytest.mark.parametrize("nip", ["5265877635", "7762811692", "5555555555", "3692854322", "7279955607"])
def test_valid_nips_from_the_spec(nip):
    assert validate_nip(nip) == nip
    assert nip_check_digit(nip[:9]) == int(nip[9])


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("5265877636", "cyfrę kontrolną"),  # last digit off by one
        ("1234567890", "cyfrę kontrolną"),  # 123456789 weighs to 10: no valid check digit exists
        ("0265877635", "nie jest numerem NIP"),  # leading zero
        ("1005877635", "nie jest numerem NIP"),  # digits 2-3 both zero (KSeF pattern)
        ("526587763", "nie jest numerem NIP"),
        ("526-587-76-35", "nie jest numerem NIP"),
        (5265877635, "nie jest numerem NIP"),
        (None, "nie jest numerem NIP"),
    ],
)
def test_invalid_nips(value, reason):
    with pytest.raises(IdentifierError, match=reason):
        validate_nip(value)
    assert nip_check_digit("123456789") is None


@pytest.mark.parametrize("pesel", ["15062788702", "22271569167", "44051401359"])  # 1915, 2022 (month + 20), 1944
def test_valid_pesels_from_the_spec(pesel):
    assert validate_pesel(pesel) == pesel


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("15062788703", "cyfrę kontrolną"),
        ("15023088702", "nieistniejącą datę"),  # 30 February 1915
        ("15132788702", "nie jest numerem PESEL"),  # month 13 is no century's month
        ("1506278870", "nie jest numerem PESEL"),
        (15062788702, "nie jest numerem PESEL"),
    ],
)
def test_invalid_pesels(value, reason):
    with pytest.raises(IdentifierError, match=reason):
        validate_pesel(value)


@pytest.mark.parametrize("number", OFFICIAL_KSEF_NUMBERS)
def test_official_ksef_numbers_check_and_are_rebuilt(number):
    assert is_valid_ksef_number(number)
    nip, day, technical, _crc = number.split("-")
    assert ksef_number(nip, date(int(day[:4]), int(day[4:6]), int(day[6:])), technical) == number


def test_crc8_and_broken_ksef_numbers():
    assert crc8(b"123456789") == 0xF4  # the CRC-8/SMBUS check value
    good = OFFICIAL_KSEF_NUMBERS[0]
    assert not is_valid_ksef_number(good[:-2] + "00")
    assert not is_valid_ksef_number(good.lower())
    assert not is_valid_ksef_number(good[:-3])
    with pytest.raises(ValueError, match="12 hex"):
        ksef_number("5265877635", date(2025, 8, 26), "ABC")


def test_simulator_imports_nothing_from_core():
    """The simulator is an independent implementation of KSeF: no module of it may import the console's `core`."""
    offenders = []
    for path in sorted(Path(__file__).resolve().parents[2].joinpath("simulator").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {name}" for name in names if name == "core" or name.startswith("core.")]
    assert offenders == []
