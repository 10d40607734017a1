from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import ids

# Both official examples of PROTOCOL.md §8 (KSeF number format, CRC-8 over the first 32 characters).
OFFICIAL_KSEF_NUMBERS = ["5265877635-20250826-0100001AF629-AF", "5265877635-20250626-010080DD2B5E-26"]


def valid_nips() -> st.SearchStrategy[str]:
    def complete(digits: list[int]) -> str | None:
        body = "".join(map(str, digits))
        check = ids.nip_check_digit(body)
        nip = None if check is None else body + str(check)
        return nip if nip and ids.NIP_PATTERN.fullmatch(nip) else None

    return (
        st.lists(st.integers(0, 9), min_size=9, max_size=9)
        .filter(lambda d: d[0] != 0)
        .map(complete)
        .filter(lambda n: n is not None)
    )


@pytest.mark.parametrize("number", OFFICIAL_KSEF_NUMBERS)
def test_official_ksef_numbers_validate(number):
    assert ids.validate_ksef_number(number) == number
    assert ids.crc8(number[:32].encode()) == number[-2:]


def test_ksef_number_with_a_changed_character_fails_its_checksum():
    with pytest.raises(ids.KsefNumberChecksumError):
        ids.validate_ksef_number("5265877635-20250826-0100001AF628-AF")


@pytest.mark.parametrize(
    "bad", ["", "5265877635-20250826-0100001AF629", "5265877635-20251326-0100001AF629-AF", "x" * 35]
)
def test_malformed_ksef_numbers_are_format_errors(bad):
    with pytest.raises(ids.KsefNumberFormatError):
        ids.validate_ksef_number(bad)


@given(
    valid_nips(), st.dates(date(2022, 1, 1), date(2049, 12, 31)), st.text("0123456789ABCDEF", min_size=12, max_size=12)
)
def test_built_ksef_numbers_always_validate(nip, day, technical):
    number = ids.ksef_number(nip, day, technical)
    assert ids.validate_ksef_number(number) == number
    assert len(number) == 35


@given(valid_nips())
def test_valid_nips_pass_and_any_single_digit_change_fails(nip):
    assert ids.validate_nip(nip) == nip
    for position in range(10):
        for digit in "0123456789":
            if digit == nip[position]:
                continue
            changed = nip[:position] + digit + nip[position + 1 :]
            # weights 6,5,7,2,3,4,5,6,7 are all coprime with 11, so one changed digit always breaks the sum
            assert not ids.is_valid_nip(changed)


def test_nip_messages_are_polish_and_specific():
    with pytest.raises(ids.NipChecksumError, match="NIP 1234567890 ma błędną sumę kontrolną"):
        ids.validate_nip("1234567890")
    with pytest.raises(ids.NipFormatError, match="10 cyfr"):
        ids.validate_nip("12345")


def test_nip_accepts_what_people_type():
    assert ids.validate_nip("PL 526-587-76-35") == "5265877635"


@given(st.dates(date(1800, 1, 1), date(2299, 12, 31)), st.integers(0, 9999))
def test_pesel_round_trip(birth, serial):
    month = birth.month + {1800: 80, 1900: 0, 2000: 20, 2100: 40, 2200: 60}[birth.year // 100 * 100]
    first_ten = f"{birth.year % 100:02d}{month:02d}{birth.day:02d}{serial:04d}"
    pesel = first_ten + str(ids.pesel_check_digit(first_ten))
    assert ids.validate_pesel(pesel) == pesel
    assert ids.pesel_birth_date(pesel) == birth
    wrong = pesel[:10] + str((int(pesel[10]) + 1) % 10)
    with pytest.raises(ids.PeselChecksumError):
        ids.validate_pesel(wrong)


def test_pesel_errors():
    with pytest.raises(ids.PeselFormatError):
        ids.validate_pesel("123")
    with pytest.raises(ids.PeselDateError):
        ids.validate_pesel("99023112345")  # 31 February


@given(
    st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True),
    valid_nips(),
)
def test_company_key_round_trip(account, company, nip):
    key = ids.format_company_key(account, company, nip)
    assert ids.parse_company_key(key) == ids.CompanyKey(account, company, nip)
    assert str(ids.parse_company_key(key)) == key


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("", ids.CompanyKeyEmptyError),
        ("   ", ids.CompanyKeyEmptyError),
        ("BR-1;ABC", ids.CompanyKeyPartsError),
        ("BR-1;ABC;5265877635;x", ids.CompanyKeyPartsError),
        ("BR 1;ABC;5265877635", ids.CompanyKeyAccountError),
        (";ABC;5265877635", ids.CompanyKeyAccountError),
        ("BR-1;A/B;5265877635", ids.CompanyKeyCompanyIdError),
        ("BR-1;ABC;1234567890", ids.CompanyKeyNipError),
        ("BR-1;ABC;12345", ids.CompanyKeyNipError),
    ],
)
def test_each_company_key_malformation_has_its_own_error(raw, error):
    with pytest.raises(error):
        ids.parse_company_key(raw)


def test_company_key_errors_are_all_company_key_errors():
    for error in (ids.CompanyKeyEmptyError, ids.CompanyKeyPartsError, ids.CompanyKeyNipError):
        assert issubclass(error, ids.CompanyKeyError)
