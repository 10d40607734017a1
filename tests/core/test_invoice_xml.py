"""FA(3) files are checked offline, and every refusal names the element and the line in Polish."""

from datetime import date, timedelta

import pytest

import ksef_spec
from core.invoice_xml import InvoiceFileError, check_invoice, translate

TEMPLATE = (ksef_spec.SAMPLES_DIR / "fa3" / "csharp-invoice-template-fa-3.xml").read_text(encoding="utf-8")


def _invoice(**replace: str) -> bytes:
    text = TEMPLATE.replace("#nip#", "5265877635").replace("#invoice_number#", "FV/1/2026")
    for old, new in replace.items():
        text = text.replace(old, new)
    return text.encode()


def _line_of(data: bytes, marker: bytes) -> int:
    return data[: data.index(marker)].count(b"\n") + 1


def test_a_valid_invoice_gives_its_facts():
    clean, facts = check_invoice(_invoice())
    assert facts.seller_nip == "5265877635" and facts.invoice_number == "FA/GRQMB-FV/1/2026/05/2025"
    assert facts.invoice_kind == "VAT" and facts.currency == "PLN" and facts.gross_amount is not None
    assert clean.startswith(b"<?xml")


def test_a_bom_is_removed_with_a_warning():
    clean, facts = check_invoice(b"\xef\xbb\xbf" + _invoice())
    assert not clean.startswith(b"\xef\xbb\xbf") and "BOM" in facts.warnings[0]


def test_a_bad_nip_names_the_element_and_line():
    data = _invoice(**{"<NIP>5265877635</NIP>": "<NIP>0265877635</NIP>"})
    with pytest.raises(InvoiceFileError) as error:
        check_invoice(data)
    line = _line_of(data, b"<NIP>0265877635")
    assert error.value.problems[0] == (
        f"wiersz {line}, element Faktura/Podmiot1/DaneIdentyfikacyjne/NIP: "
        "wartość '0265877635' nie pasuje do wzorca [1-9]((\\d[1-9])|([1-9]\\d))\\d{7}"
    )


def test_a_missing_element_is_named():
    data = _invoice(**{"<P_2>FA/GRQMB-FV/1/2026/05/2025</P_2>": ""})
    with pytest.raises(InvoiceFileError) as error:
        check_invoice(data)
    assert "brakuje elementu" in error.value.problems[0] or "niedozwolony" in error.value.problems[0]
    assert error.value.problems[0].startswith("wiersz ")
    assert "P_2" in error.value.problems[0]


def test_not_xml_and_future_dates_and_size():
    with pytest.raises(InvoiceFileError, match="wiersz 1: plik nie jest poprawnym XML"):
        check_invoice(b"to nie jest XML")
    future = (date.today() + timedelta(days=3)).isoformat()
    today_in_template = TEMPLATE.split("<P_1>")[1].split("</P_1>")[0]
    with pytest.raises(InvoiceFileError, match="w przyszłości"):
        check_invoice(_invoice(**{f"<P_1>{today_in_template}</P_1>": f"<P_1>{future}</P_1>"}))
    with pytest.raises(InvoiceFileError, match="1 000 000 bajtów"):
        check_invoice(b" " * 1_000_001)


@pytest.mark.parametrize(
    ("english", "polish"),
    [
        ("Element '{x}P_2': [facet 'maxLength'] The value has a length of '300'; this exceeds the allowed maximum "
         "length of '256'.", "wartość za długa (300 znaków, dozwolone 256)"),
        ("Element 'P_6': 'abc' is not a valid value of the atomic type 'TData'.",
         "wartość 'abc' nie jest poprawną wartością typu TData"),
        ("Element 'RodzajFaktury': [facet 'enumeration'] The value 'XYZ' is not an element of the set {'VAT', 'KOR'}.",
         "wartość 'XYZ' spoza dozwolonych: 'VAT', 'KOR'"),
    ],
)  # fmt: skip
def test_translations(english, polish):
    assert translate(english) == polish
