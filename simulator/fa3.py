"""Checking and reading an FA(3) invoice the way KSeF does on receipt (PROTOCOL.md §13.2, "Invoice XML rules").

File rules (UTF-8 without BOM, no foreign encoding declared, no processing instructions) and the XSD give status 430
with details naming the problem; the fields the metadata needs are read from the validated document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

import ksef_spec
from simulator.state import Party

NS = ksef_spec.FA3_NAMESPACE
_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']")
NET_FIELDS = (
    "P_13_1",
    "P_13_2",
    "P_13_3",
    "P_13_4",
    "P_13_5",
    "P_13_6_1",
    "P_13_6_2",
    "P_13_6_3",
    "P_13_7",
    "P_13_8",
    "P_13_9",
    "P_13_10",
    "P_13_11",
)
VAT_FIELDS = ("P_14_1", "P_14_2", "P_14_3", "P_14_4", "P_14_5")
# RodzajFaktury -> InvoiceType of the metadata.
INVOICE_TYPES = {
    "VAT": "Vat",
    "ZAL": "Zal",
    "KOR": "Kor",
    "ROZ": "Roz",
    "UPR": "Upr",
    "KOR_ZAL": "KorZal",
    "KOR_ROZ": "KorRoz",
}


class InvoiceRejected(Exception):
    """The invoice is refused with an invoice status (430 file/XSD, 450 semantics)."""

    def __init__(self, code: int, details: list[str]) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


@dataclass(frozen=True)
class ParsedInvoice:
    system_code: str
    schema_version: str
    invoice_number: str
    invoice_kind: str
    issue_date: date
    currency: str
    seller: Party
    buyer: Party
    third_subjects: list[Party]
    authorized_subject: Party | None
    net_grosze: int
    vat_grosze: int
    gross_grosze: int
    is_self_invoicing: bool
    has_attachment: bool


def _q(*names: str) -> str:
    return "/".join(f"{{{NS}}}{name}" for name in names)


def _text(node: etree._Element | None, *path: str) -> str | None:
    if node is None:
        return None
    found = node.find(_q(*path)) if path else node
    return found.text.strip() if found is not None and found.text else None


def _grosze(value: str | None) -> int:
    if not value:
        return 0
    try:
        return int((Decimal(value) * 100).quantize(Decimal(1)))
    except InvalidOperation:
        return 0


def _party(data: etree._Element | None, name_parent: etree._Element | None, role: int | None = None) -> Party:
    name = _text(name_parent, "Nazwa") if name_parent is not None else None
    if data is None:
        return Party("None", None, name, role)
    if (nip := _text(data, "NIP")) is not None:
        return Party("Nip", nip, name, role)
    if (internal := _text(data, "IDWew")) is not None:
        return Party("InternalId", internal, name, role)
    if (country := _text(data, "KodUE")) is not None:
        return Party("VatUe", f"{country}{_text(data, 'NrVatUE') or ''}", name, role)
    if (other := _text(data, "NrID")) is not None:
        return Party("Other", other, name, role)
    return Party("None", None, name, role)


def _before(root: etree._Element) -> list[etree._Element]:
    nodes, node = [], root.getprevious()
    while node is not None:
        nodes.append(node)
        node = node.getprevious()
    return nodes


def _check_file(data: bytes) -> etree._Element:
    if data.startswith(b"\xef\xbb\xbf"):
        raise InvoiceRejected(430, ["Plik faktury nie może zawierać znacznika BOM."])
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvoiceRejected(430, ["Plik faktury musi być zakodowany w UTF-8."]) from None
    declared = _DECLARED_ENCODING.match(data)
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        raise InvoiceRejected(430, [f"Deklaracja kodowania {declared.group(1).decode()} jest niedozwolona."])
    try:
        root = etree.fromstring(data, parser=ksef_spec.safe_xml_parser())
    except etree.XMLSyntaxError as error:
        raise InvoiceRejected(430, [f"Dokument XML jest niepoprawny: {error}"]) from None
    if any(isinstance(node, etree._ProcessingInstruction) for node in [*root.iter(), *_before(root)]):
        raise InvoiceRejected(430, ["Dokument nie może zawierać instrukcji przetwarzania."])
    return root


def _validate(root: etree._Element) -> None:
    schema = ksef_spec.fa3_schema()
    if not schema.validate(root):
        details = [f"linia {entry.line}: {entry.message}" for entry in list(schema.error_log)[:5]]
        raise InvoiceRejected(430, ["Faktura jest niezgodna ze schematem FA(3).", *details])


def check_and_parse(data: bytes) -> ParsedInvoice:
    root = _check_file(data)
    if etree.QName(root).namespace != NS:
        raise InvoiceRejected(430, [f"Oczekiwano dokumentu w przestrzeni nazw {NS} (FA(3))."])
    _validate(root)
    header = root.find(_q("Naglowek", "KodFormularza"))
    fa = root.find(_q("Fa"))
    seller, buyer = root.find(_q("Podmiot1")), root.find(_q("Podmiot2"))
    currency = _text(fa, "KodWaluty") or "PLN"
    vat_fields = VAT_FIELDS if currency == "PLN" else (*(f"{name}W" for name in VAT_FIELDS[:4]), "P_14_5")
    third = [
        _party(
            node.find(_q("DaneIdentyfikacyjne")), node.find(_q("DaneIdentyfikacyjne")), int(_text(node, "Rola") or 0)
        )
        for node in root.findall(_q("Podmiot3"))
    ]
    authorized_node = root.find(_q("PodmiotUpowazniony"))
    authorized = None
    if authorized_node is not None:
        data_node = authorized_node.find(_q("DaneIdentyfikacyjne"))
        authorized = _party(data_node, data_node, int(_text(authorized_node, "RolaPU") or 0))
    return ParsedInvoice(
        system_code=header.get("kodSystemowy", "") if header is not None else "",
        schema_version=header.get("wersjaSchemy", "") if header is not None else "",
        invoice_number=_text(fa, "P_2") or "",
        invoice_kind=_text(fa, "RodzajFaktury") or "VAT",
        issue_date=date.fromisoformat(_text(fa, "P_1") or "1970-01-01"),
        currency=currency,
        seller=_party(
            seller.find(_q("DaneIdentyfikacyjne")) if seller is not None else None,
            seller.find(_q("DaneIdentyfikacyjne")) if seller is not None else None,
        ),
        buyer=_party(
            buyer.find(_q("DaneIdentyfikacyjne")) if buyer is not None else None,
            buyer.find(_q("DaneIdentyfikacyjne")) if buyer is not None else None,
        ),
        third_subjects=third,
        authorized_subject=authorized,
        net_grosze=sum(_grosze(_text(fa, name)) for name in NET_FIELDS),
        vat_grosze=sum(_grosze(_text(fa, name)) for name in vat_fields),
        gross_grosze=_grosze(_text(fa, "P_15")),
        is_self_invoicing=_text(fa, "Adnotacje", "P_17") == "1",
        has_attachment=root.find(_q("Zalacznik")) is not None,
    )
