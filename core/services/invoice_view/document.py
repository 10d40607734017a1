"""An FA(3) invoice file read for a person: parties, lines, VAT summary, totals and payment, as plain values.

Read safely: no network, no entity expansion, and a file that declares a DTD (KSeF refuses those too) is not read at
all. Elements are found in the root's own namespace, so FA(2) files stored before FA(3) read the same way. Whatever
the file lacks stays empty: the view shows what is there and never invents a value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

import ksef_spec
from core.errors import InvalidInput
from core.formatting import format_amount, format_decimal
from core.texts import Text

# The VAT summary fields: net P_13_x (and its tax P_14_x where the rate has one), in the order of the form.
VAT_FIELDS = (
    ("P_13_1", "P_14_1"), ("P_13_2", "P_14_2"), ("P_13_3", "P_14_3"), ("P_13_4", "P_14_4"), ("P_13_5", "P_14_5"),
    ("P_13_6_1", None), ("P_13_6_2", None), ("P_13_6_3", None), ("P_13_7", None), ("P_13_8", None),
    ("P_13_9", None), ("P_13_10", None), ("P_13_11", None),
)  # fmt: skip


@dataclass(frozen=True)
class Party:
    name: str
    identifier: str  # "NIP 1234567890", "VAT UE DE123…", "ID …" or ""
    address: list[str]
    contact: list[str]


@dataclass(frozen=True)
class Line:
    number: str
    name: str
    unit: str
    quantity: Decimal | None
    unit_price: Decimal | None  # net (P_9A), or gross (P_9B) when the invoice is priced gross
    value: Decimal | None  # net (P_11), or gross (P_11A)
    rate: str  # P_12: "23", "8", "zw", "np I", "oo", …


@dataclass(frozen=True)
class VatRow:
    field: str  # P_13_1 …: the catalogue names the rate
    net: Decimal
    vat: Decimal | None


@dataclass(frozen=True)
class InvoiceDocument:
    number: str
    kind: str  # RodzajFaktury: VAT, KOR, ZAL, ROZ, UPR, KOR_ZAL, KOR_ROZ
    currency: str
    issue_date: date | None
    issue_place: str
    sale_date: date | None
    period: tuple[date | None, date | None] | None
    seller: Party
    buyer: Party
    lines: list[Line]
    gross_priced: bool
    vat_rows: list[VatRow]
    total_net: Decimal | None
    total_vat: Decimal | None
    total_gross: Decimal | None
    to_pay: Decimal | None
    payment_due: list[date]
    payment_form: str  # FormaPlatnosci code 1–7
    bank_accounts: list[str]
    notes: list[tuple[str, str]] = field(default_factory=list)  # DodatkowyOpis: key, value
    footer: list[str] = field(default_factory=list)


class _Reader:
    def __init__(self, root: etree._Element) -> None:
        self.ns = etree.QName(root).namespace or ""
        self.root = root

    def path(self, path: str) -> str:
        return "/".join(f"{{{self.ns}}}{part}" if self.ns else part for part in path.split("/"))

    def find(self, node: etree._Element | None, path: str) -> etree._Element | None:
        return None if node is None else node.find(self.path(path))

    def all(self, node: etree._Element | None, path: str) -> list[etree._Element]:
        return [] if node is None else list(node.findall(self.path(path)))

    def text(self, node: etree._Element | None, path: str) -> str:
        found = self.find(node, path)
        return " ".join((found.text or "").split()) if found is not None else ""

    def amount(self, node: etree._Element | None, path: str) -> Decimal | None:
        text = self.text(node, path)
        try:
            return Decimal(text) if text else None
        except InvalidOperation:
            return None

    def day(self, node: etree._Element | None, path: str) -> date | None:
        text = self.text(node, path)
        try:
            return date.fromisoformat(text[:10]) if text else None
        except ValueError:
            return None


def parse_document(xml: bytes) -> etree._Element:
    """The parsed root of an untrusted invoice file; InvalidInput when it is not XML or declares a DTD."""
    try:
        root = etree.fromstring(xml, ksef_spec.safe_xml_parser())
    except etree.XMLSyntaxError:
        raise InvalidInput(Text("invoice_view.not_xml")) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise InvalidInput(Text("invoice_view.dtd"))
    if etree.QName(root).localname != "Faktura":
        raise InvalidInput(Text("invoice_view.not_invoice"))
    return root


def _party(reader: _Reader, node: etree._Element | None) -> Party:
    ids = reader.find(node, "DaneIdentyfikacyjne")
    if reader.text(ids, "NIP"):
        identifier = f"NIP {reader.text(ids, 'NIP')}"
    elif reader.text(ids, "NrVatUE"):
        identifier = f"VAT UE {reader.text(ids, 'KodUE')}{reader.text(ids, 'NrVatUE')}"
    elif reader.text(ids, "NrID"):
        identifier = " ".join(part for part in ("ID", reader.text(ids, "KodKraju"), reader.text(ids, "NrID")) if part)
    else:
        identifier = ""
    address_node = reader.find(node, "Adres")
    address = [reader.text(address_node, "AdresL1"), reader.text(address_node, "AdresL2")]
    country = reader.text(address_node, "KodKraju")
    if country and country != "PL":
        address.append(country)
    contact = [
        text
        for contact_node in reader.all(node, "DaneKontaktowe")
        for text in (reader.text(contact_node, "Email"), reader.text(contact_node, "Telefon"))
        if text
    ]
    return Party(reader.text(ids, "Nazwa"), identifier, [a for a in address if a], contact)


def _line(reader: _Reader, node: etree._Element) -> Line:
    gross_priced = reader.find(node, "P_11") is None and reader.find(node, "P_11A") is not None
    return Line(
        number=reader.text(node, "NrWierszaFa"),
        name=reader.text(node, "P_7"),
        unit=reader.text(node, "P_8A"),
        quantity=reader.amount(node, "P_8B"),
        unit_price=reader.amount(node, "P_9B" if gross_priced else "P_9A"),
        value=reader.amount(node, "P_11A" if gross_priced else "P_11"),
        rate=reader.text(node, "P_12"),
    )


def _sum(values: list[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


def read_invoice(xml: bytes) -> InvoiceDocument:
    reader = _Reader(parse_document(xml))
    root = reader.root
    fa = reader.find(root, "Fa")
    lines_nodes = reader.all(fa, "FaWiersz")
    gross_priced = bool(lines_nodes) and all(
        reader.find(n, "P_11") is None and reader.find(n, "P_11A") is not None for n in lines_nodes
    )
    vat_rows = [
        VatRow(net_field, net, reader.amount(fa, vat_field) if vat_field else None)
        for net_field, vat_field in VAT_FIELDS
        if (net := reader.amount(fa, net_field)) is not None
    ]
    period_node = reader.find(fa, "OkresFa")
    payment = reader.find(fa, "Platnosc")
    settlement = reader.find(fa, "Rozliczenie")
    total_gross = reader.amount(fa, "P_15")
    return InvoiceDocument(
        number=reader.text(fa, "P_2"),
        kind=reader.text(fa, "RodzajFaktury"),
        currency=reader.text(fa, "KodWaluty") or "PLN",
        issue_date=reader.day(fa, "P_1"),
        issue_place=reader.text(fa, "P_1M"),
        sale_date=reader.day(fa, "P_6"),
        period=None if period_node is None else (reader.day(period_node, "P_6_Od"), reader.day(period_node, "P_6_Do")),
        seller=_party(reader, reader.find(root, "Podmiot1")),
        buyer=_party(reader, reader.find(root, "Podmiot2")),
        lines=[_line(reader, node) for node in lines_nodes],
        gross_priced=gross_priced,
        vat_rows=vat_rows,
        total_net=_sum([row.net for row in vat_rows]),
        total_vat=_sum([row.vat for row in vat_rows]),
        total_gross=total_gross,
        to_pay=reader.amount(settlement, "DoZaplaty") if settlement is not None else None,
        payment_due=[d for n in reader.all(payment, "TerminPlatnosci") if (d := reader.day(n, "Termin"))],
        payment_form=reader.text(payment, "FormaPlatnosci"),
        bank_accounts=[text for n in reader.all(payment, "RachunekBankowy") if (text := reader.text(n, "NrRB"))],
        notes=[(reader.text(n, "Klucz"), reader.text(n, "Wartosc")) for n in reader.all(fa, "DodatkowyOpis")],
        footer=[reader.text(n, "StopkaFaktury") for n in reader.all(reader.find(root, "Stopka"), "Informacje")
                if reader.text(n, "StopkaFaktury")],
    )  # fmt: skip


def money(value: Decimal | None, currency: str = "PLN") -> str:
    """`1 234,56 zł` (the invoice's currency code for any other currency); empty when the file has no amount."""
    return "" if value is None else format_amount(value, currency)


def quantity(value: Decimal | None) -> str:
    """A quantity with as many decimals as it has (`20`, `1,5`, `0,125`), thousands spaced."""
    if value is None:
        return ""
    places = max(0, -value.normalize().as_tuple().exponent)  # type: ignore[operator]
    return format_decimal(value, places)
