"""The simulator's identifiers (its own implementation) agree with the console's and with KSeF's official examples."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import ids as console
from simulator import identifiers as sim

# PROTOCOL.md §8: both official examples of a KSeF number.
OFFICIAL_KSEF_NUMBERS = ["5265877635-20250826-0100001AF629-AF", "5265877635-20250626-010080DD2B5E-26"]


@pytest.mark.parametrize("number", OFFICIAL_KSEF_NUMBERS)
def test_the_simulator_builds_the_official_ksef_numbers(number):
    nip, day, technical, _ = number.split("-")
    assert sim.ksef_number(nip, date(int(day[:4]), int(day[4:6]), int(day[6:])), technical) == number


@given(
    nip=st.from_regex(r"[1-9][0-9]{9}", fullmatch=True),
    day=st.dates(min_value=date(2022, 1, 1), max_value=date(2099, 12, 31)),
    technical=st.from_regex(r"[0-9A-F]{12}", fullmatch=True),
)
def test_simulator_ksef_numbers_are_valid_for_the_console(nip, day, technical):
    number = sim.ksef_number(nip, day, technical)
    assert number == console.ksef_number(nip, day, technical)
    assert console.validate_ksef_number(number) == number


def _outcome(validate, error, raw: str) -> str:
    try:
        return validate(raw)
    except error:
        return "refused"


@given(st.one_of(st.from_regex(r"[0-9]{10}", fullmatch=True), st.text(max_size=12)))
def test_both_sides_accept_and_refuse_the_same_plain_nips(raw):
    # The console also accepts what people type around a NIP (spaces, dashes, "PL"); the simulator's API takes the
    # bare ten digits, so only those are compared.
    console_says = _outcome(console.validate_nip, console.NipError, raw)
    if console_says != "refused" and console_says != raw:
        console_says = "refused"
    assert _outcome(sim.validate_nip, sim.IdentifierError, raw) == console_says


@given(st.one_of(st.from_regex(r"[0-9]{11}", fullmatch=True), st.text(max_size=12)))
def test_both_sides_accept_and_refuse_the_same_pesels(raw):
    console_says = _outcome(console.validate_pesel, console.PeselError, raw)
    if console_says != "refused" and console_says != raw:
        console_says = "refused"
    assert _outcome(sim.validate_pesel, sim.IdentifierError, raw) == console_says


@given(st.from_regex(r"[1-9][0-9]{8}", fullmatch=True))
def test_both_sides_compute_the_same_nip_check_digit(first_nine):
    assert sim.nip_check_digit(first_nine) == console.nip_check_digit(first_nine)
