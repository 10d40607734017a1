"""FA(3) invoices checked offline before anything is sent: well-formed, XSD-valid, and the facts KSeF checks first.

Messages are catalogue texts naming the failing element and line (libxml2's English is translated for the common
cases).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

import ksef_spec
from core.errors import InvalidInput
from core.formatting import WARSAW, format_date
from core.texts import Text

MAX_INVOICE_BYTES = 1_000_000  # PROTOCOL.md §12.2: 1 MB without attachments
UTF8_BOM = b"\xef\xbb\xbf"
_NS = {"fa": ksef_spec.FA3_NAMESPACE}
# libxml2's English for the common cases -> a catalogue key and the names of the matched groups.
_TRANSLATIONS: list[tuple[re.Pattern[str], str, tuple[str, ...]]] = [
    (
        re.compile(r"This element is not expected\. Expected is one of \( (.+) \)\."),
        "invoice_file.xsd.unexpected_one_of",
        ("expected",),
    ),
    (
        re.compile(r"This element is not expected\. Expected is \( (.+) \)\."),
        "invoice_file.xsd.unexpected_expected",
        ("expected",),
    ),
    (re.compile(r"This element is not expected\."), "invoice_file.xsd.unexpected", ()),
    (
        re.compile(r"Missing child element\(s\)\. Expected is one of \( (.+) \)\."),
        "invoice_file.xsd.missing_one_of",
        ("expected",),
    ),
    (re.compile(r"Missing child element\(s\)\. Expected is \( (.+) \)\."), "invoice_file.xsd.missing", ("expected",)),
    (
        re.compile(r"\[facet 'pattern'\] The value '(.*)' is not accepted by the pattern '(.+)'\."),
        "invoice_file.xsd.pattern",
        ("value", "pattern"),
    ),
    (
        re.compile(r"\[facet 'enumeration'\] The value '(.*)' is not an element of the set \{(.+)\}\."),
        "invoice_file.xsd.enumeration",
        ("value", "allowed"),
    ),
    (
        re.compile(
            r"\[facet 'maxLength'\] The value has a length of '(\d+)'; this exceeds the allowed maximum "
            r"length of '(\d+)"
        ),
        "invoice_file.xsd.too_long",
        ("length", "limit"),
    ),
    (
        re.compile(
            r"\[facet 'minLength'\] The value has a length of '(\d+)'; this underruns the allowed minimum length of "
            r"'(\d+)"
        ),
        "invoice_file.xsd.too_short",
        ("length", "limit"),
    ),
    (re.compile(r"\[facet '(\w+)'\] The value '(.*)' .*"), "invoice_file.xsd.facet", ("facet", "value")),
    (
        re.compile(r"'(.*)' is not a valid value of the (?:atomic|local atomic|union) type '?([^']*)'?\."),
        "invoice_file.xsd.type",
        ("value", "type"),
    ),
    (
        re.compile(r"No matching global declaration available for the validation root\."),
        "invoice_file.xsd.not_fa3",
        (),
    ),
    (re.compile(r"The attribute '(\w+)' is required but missing\."), "invoice_file.xsd.attribute", ("attribute",)),
    (
        re.compile(r"The value '(.*)' does not match the fixed value constraint '(.*)'\."),
        "invoice_file.xsd.fixed",
        ("value", "fixed"),
    ),
]


class InvoiceFileError(InvalidInput):
    """The file is not a sendable FA(3) invoice; `problems` lists every reason."""


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
    for pattern, key, names in _TRANSLATIONS:
        match = pattern.search(text)
        if match:
            return Text(key, **dict(zip(names, match.groups(), strict=True)))
    return text


_SYNTAX: list[tuple[re.Pattern[str], str, tuple[str, ...]]] = [
    (
        re.compile(r"Opening and ending tag mismatch: (\S+) line \d+ and (\S+)"),
        "invoice_file.syntax.mismatch",
        ("opened", "closed"),
    ),
    (re.compile(r"Premature end of data in tag (\S+)"), "invoice_file.syntax.premature_end", ("element",)),
    (re.compile(r"Start tag expected, '<' not found"), "invoice_file.syntax.no_start_tag", ()),
    (re.compile(r"Extra content at the end of the document"), "invoice_file.syntax.extra_content", ()),
]


def _syntax(message: str) -> str:
    for pattern, key, names in _SYNTAX:
        match = pattern.search(message)
        if match:
            return Text(key, **dict(zip(names, match.groups(), strict=True)))
    return message


def _text(document: etree._Element, path: str) -> str:
    found = document.find(path, _NS)
    return (found.text or "").strip() if found is not None else ""


def _grosze(text: str) -> int | None:
    try:
        return int((Decimal(text) * 100).quantize(Decimal(1))) if text else None
    except InvalidOperation:
        return None


# Byte-order marks of the encodings KSeF refuses (UTF-32 first: its little-endian mark begins like UTF-16's).
_OTHER_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff", b"\xff\xfe", b"\xfe\xff")
_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_DOCTYPE = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def check_encoding_and_dtd(data: bytes) -> None:
    """What KSeF refuses before reading a single element (PROTOCOL.md §13: UTF-8 only, no DTD), checked before
    anything else so that no parser ever sees an entity or a file in another encoding. One sentence each."""
    if data.startswith(_OTHER_BOMS) or b"\x00" in data[:200]:
        raise InvoiceFileError(Text("invoice_file.not_utf8"))
    declared = _DECLARED_ENCODING.match(data.removeprefix(UTF8_BOM))
    if declared is not None and declared.group(1).decode("ascii").lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise InvoiceFileError(Text("invoice_file.not_utf8"))
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvoiceFileError(Text("invoice_file.not_utf8")) from None
    if _DOCTYPE.search(data):
        raise InvoiceFileError(Text("invoice_file.doctype"))


def check_invoice(data: bytes) -> tuple[bytes, InvoiceFacts]:
    """Return the bytes to send (a UTF-8 BOM removed) and the invoice's facts, or raise InvoiceFileError."""
    warnings: list[str] = []
    if len(data) > MAX_INVOICE_BYTES + len(UTF8_BOM):
        raise InvoiceFileError(Text("invoice_file.too_big", size=len(data)))
    check_encoding_and_dtd(data)
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
        warnings.append(Text("invoice_file.bom_removed"))
    if len(data) > MAX_INVOICE_BYTES:
        raise InvoiceFileError(Text("invoice_file.too_big", size=len(data)))
    try:
        document = etree.fromstring(data, ksef_spec.safe_xml_parser())
    except etree.XMLSyntaxError as error:
        raise InvoiceFileError(Text("invoice_file.not_xml", line=error.lineno, reason=_syntax(error.msg))) from None
    schema = ksef_spec.fa3_schema()
    try:
        valid = schema.validate(document)
    except etree.LxmlError:  # libxml2 gives up on some documents; the file is refused, never a traceback
        raise InvoiceFileError(Text("invoice_file.not_fa3_readable")) from None
    if not valid:
        problems = [
            Text(
                "invoice_file.xsd",
                line=e.line,
                element=_element(document, e.path, e.message),
                reason=translate(e.message),
            )
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
        raise InvoiceFileError(Text("invoice_file.future_date", issue_date=format_date(facts.issue_date)))
    return data, facts
