"""FA(3) invoices checked offline before anything is sent: well-formed, XSD-valid, and the facts KSeF checks first.

Messages are Polish and name the failing element and line (libxml2's English is translated for the common cases).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

import ksef_spec
from core.formatting import WARSAW

MAX_INVOICE_BYTES = 1_000_000  # PROTOCOL.md §12.2: 1 MB without attachments
UTF8_BOM = b"\xef\xbb\xbf"
_NS = {"fa": ksef_spec.FA3_NAMESPACE}
_TRANSLATIONS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"This element is not expected\. Expected is one of \( (.+) \)\."),
        "element w tym miejscu jest niedozwolony; oczekiwano jednego z: {0}",
    ),
    (
        re.compile(r"This element is not expected\. Expected is \( (.+) \)\."),
        "element w tym miejscu jest niedozwolony; oczekiwano: {0}",
    ),
    (re.compile(r"This element is not expected\."), "element w tym miejscu jest niedozwolony"),
    (
        re.compile(r"Missing child element\(s\)\. Expected is one of \( (.+) \)\."),
        "brakuje elementu; oczekiwano jednego z: {0}",
    ),
    (re.compile(r"Missing child element\(s\)\. Expected is \( (.+) \)\."), "brakuje elementu: {0}"),
    (
        re.compile(r"\[facet 'pattern'\] The value '(.*)' is not accepted by the pattern '(.+)'\."),
        "wartość '{0}' nie pasuje do wzorca {1}",
    ),
    (
        re.compile(r"\[facet 'enumeration'\] The value '(.*)' is not an element of the set \{(.+)\}\."),
        "wartość '{0}' spoza dozwolonych: {1}",
    ),
    (
        re.compile(
            r"\[facet 'maxLength'\] The value has a length of '(\d+)'; this exceeds the allowed maximum "
            r"length of '(\d+)"
        ),
        "wartość za długa ({0} znaków, dozwolone {1})",
    ),
    (
        re.compile(
            r"\[facet 'minLength'\] The value has a length of '(\d+)'; this underruns the allowed minimum length of "
            r"'(\d+)"
        ),
        "wartość za krótka ({0} znaków, wymagane {1})",
    ),
    (re.compile(r"\[facet '(\w+)'\] The value '(.*)' .*"), "wartość '{1}' narusza ograniczenie {0}"),
    (
        re.compile(r"'(.*)' is not a valid value of the (?:atomic|local atomic|union) type '?([^']*)'?\."),
        "wartość '{0}' nie jest poprawną wartością typu {1}",
    ),
    (
        re.compile(r"No matching global declaration available for the validation root\."),
        "to nie jest faktura FA(3): zły element główny lub przestrzeń nazw",
    ),
    (re.compile(r"The attribute '(\w+)' is required but missing\."), "brakuje wymaganego atrybutu {0}"),
    (
        re.compile(r"The value '(.*)' does not match the fixed value constraint '(.*)'\."),
        "wartość '{0}' musi być równa '{1}'",
    ),
]


class InvoiceFileError(ValueError):
    """The file is not a sendable FA(3) invoice; `problems` lists every reason in Polish."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class InvoiceFacts:
    seller_nip: str
    seller_name: str
    buyer_identifier: str
    buyer_name: str
    invoice_number: str
    issue_date: date | None
    invoice_kind: str
    currency: str
    gross_amount: int | None
    net_amount: int | None
    vat_amount: int | None
    warnings: list[str] = field(default_factory=list)


def _element(document: etree._Element, path: str | None, message: str) -> str:
    """`Faktura/Podmiot1/DaneIdentyfikacyjne/NIP` for libxml2's `/*/*[2]/*[1]/*[1]`, or the name in the message."""
    try:
        found = document.xpath(path) if path else []
    except etree.XPathError:
        found = []
    if found and isinstance(found[0], etree._Element):
        element = found[0]
        names = [etree.QName(a).localname for a in reversed(list(element.iterancestors()))]
        return "/".join([*names, etree.QName(element).localname])
    named = re.match(r"Element '(?:\{[^}]*\})?([^']+)'", message)
    return named.group(1) if named else "?"


def translate(message: str) -> str:
    text = re.sub(r"^Element '[^']*'(?:, attribute '[^']*')?: ", "", message).replace(
        "{" + ksef_spec.FA3_NAMESPACE + "}", ""
    )
    for pattern, polish in _TRANSLATIONS:
        match = pattern.search(text)
        if match:
            return polish.format(*match.groups())
    return text


_SYNTAX = [
    (re.compile(r"Opening and ending tag mismatch: (\S+) line \d+ and (\S+)"), "znacznik <{0}> zamknięto jako </{1}>"),
    (re.compile(r"Premature end of data in tag (\S+)"), "plik urywa się w elemencie <{0}>"),
    (re.compile(r"Start tag expected, '<' not found"), "brak znacznika początkowego: to nie jest XML"),
    (re.compile(r"Extra content at the end of the document"), "dodatkowa treść po końcu dokumentu"),
]


def _syntax(message: str) -> str:
    for pattern, polish in _SYNTAX:
        match = pattern.search(message)
        if match:
            return polish.format(*match.groups())
    return message


def _text(document: etree._Element, path: str) -> str:
    found = document.find(path, _NS)
    return (found.text or "").strip() if found is not None else ""


def _grosze(text: str) -> int | None:
    try:
        return int((Decimal(text) * 100).quantize(Decimal(1))) if text else None
    except InvalidOperation:
        return None


def check_invoice(data: bytes) -> tuple[bytes, InvoiceFacts]:
    """Return the bytes to send (a UTF-8 BOM removed) and the invoice's facts, or raise InvoiceFileError."""
    warnings = []
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
        warnings.append("usunięto znacznik BOM: KSeF przyjmuje UTF-8 bez BOM")
    if len(data) > MAX_INVOICE_BYTES:
        raise InvoiceFileError([f"faktura ma {len(data)} bajtów; KSeF przyjmuje do 1 000 000 bajtów bez załączników"])
    try:
        document = etree.fromstring(data, ksef_spec.safe_xml_parser())
    except etree.XMLSyntaxError as error:
        raise InvoiceFileError([f"wiersz {error.lineno}: plik nie jest poprawnym XML ({_syntax(error.msg)})"]) from None
    schema = ksef_spec.fa3_schema()
    if not schema.validate(document):
        problems = [
            f"wiersz {e.line}, element {_element(document, e.path, e.message)}: {translate(e.message)}"
            for e in schema.error_log
        ]
        raise InvoiceFileError(problems[:50])
    facts = InvoiceFacts(
        seller_nip=_text(document, "fa:Podmiot1/fa:DaneIdentyfikacyjne/fa:NIP"),
        seller_name=_text(document, "fa:Podmiot1/fa:DaneIdentyfikacyjne/fa:Nazwa"),
        buyer_identifier=_text(document, "fa:Podmiot2/fa:DaneIdentyfikacyjne/fa:NIP"),
        buyer_name=_text(document, "fa:Podmiot2/fa:DaneIdentyfikacyjne/fa:Nazwa"),
        invoice_number=_text(document, "fa:Fa/fa:P_2"),
        issue_date=date.fromisoformat(_text(document, "fa:Fa/fa:P_1")) if _text(document, "fa:Fa/fa:P_1") else None,
        invoice_kind=_text(document, "fa:Fa/fa:RodzajFaktury"),
        currency=_text(document, "fa:Fa/fa:KodWaluty") or "PLN",
        gross_amount=_grosze(_text(document, "fa:Fa/fa:P_15")),
        net_amount=_grosze(_text(document, "fa:Fa/fa:P_13_1")),
        vat_amount=_grosze(_text(document, "fa:Fa/fa:P_14_1")),
        warnings=warnings,
    )
    if facts.issue_date is not None and facts.issue_date > datetime.now(WARSAW).date():
        raise InvoiceFileError([f"element Fa/P_1: data wystawienia {facts.issue_date:%d.%m.%Y} jest w przyszłości"])
    return data, facts
