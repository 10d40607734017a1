"""The invoice store: indexes by subject, the duplicate key, metadata views, the HWM and invoice creation.

Every invoice has invoicing, acquisition and permanent-storage dates. An invoice is visible (query, download, export)
once its permanent-storage date has passed. The HWM of a context is `now - lag`, never moving backwards; new
invoices are never stored below an HWM already reported, which is what makes the HWM method of PROTOCOL.md §7.4
gap-free against this simulator.
"""

from __future__ import annotations

import random
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from simulator import invoicegen
from simulator.crypto import sha256_b64
from simulator.fa3 import INVOICE_TYPES, ParsedInvoice
from simulator.ids import ksef_number
from simulator.state import Invoice, Party
from simulator.timeutil import WARSAW, iso

if TYPE_CHECKING:
    from simulator.runtime import Simulator

FA3_FORM_CODE = {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"}
SUBJECT_TYPES = ("Subject1", "Subject2", "Subject3", "SubjectAuthorized")


def subject_keys(invoice: Invoice) -> list[tuple[str, str]]:
    keys = []
    if invoice.seller.identifier_type == "Nip" and invoice.seller.identifier_value:
        keys.append(("Subject1", invoice.seller.identifier_value))
    if invoice.buyer.identifier_type == "Nip" and invoice.buyer.identifier_value:
        keys.append(("Subject2", invoice.buyer.identifier_value))
    keys += [
        ("Subject3", p.identifier_value)
        for p in invoice.third_subjects
        if p.identifier_type == "Nip" and p.identifier_value
    ]
    if invoice.authorized_subject and invoice.authorized_subject.identifier_value:
        keys.append(("SubjectAuthorized", invoice.authorized_subject.identifier_value))
    return keys


class InvoiceIndex:
    """Derived lookups over `SimState.invoices`; rebuilt on start, kept current by `add`."""

    def __init__(self, invoices: dict[str, Invoice]) -> None:
        self.invoices = invoices
        self.by_subject: dict[tuple[str, str], list[Invoice]] = {}
        self.duplicates: dict[tuple[str, str, str], Invoice] = {}
        self._metadata: dict[str, dict[str, Any]] = {}
        for invoice in invoices.values():
            self._index(invoice)

    def _index(self, invoice: Invoice) -> None:
        for key in subject_keys(invoice):
            self.by_subject.setdefault(key, []).append(invoice)
        seller = invoice.seller.identifier_value or ""
        self.duplicates[(seller, invoice.invoice_kind, invoice.invoice_number)] = invoice

    def add(self, invoice: Invoice) -> None:
        self.invoices[invoice.ksef_number] = invoice
        self._index(invoice)

    def for_subject(self, subject_type: str, nip: str) -> list[Invoice]:
        return self.by_subject.get((subject_type, nip), [])

    def duplicate_of(self, seller_nip: str, kind: str, number: str) -> Invoice | None:
        return self.duplicates.get((seller_nip, kind, number))

    def metadata(self, invoice: Invoice) -> dict[str, Any]:
        cached = self._metadata.get(invoice.ksef_number)
        if cached is None:
            cached = self._metadata[invoice.ksef_number] = metadata_view(invoice)
        return cached


def _money(grosze: int) -> float:
    return round(grosze / 100, 2)


def metadata_view(invoice: Invoice) -> dict[str, Any]:
    """InvoiceMetadata of the spec (used by the metadata query and by `_metadata.json` in exports)."""
    view: dict[str, Any] = {
        "ksefNumber": invoice.ksef_number,
        "invoiceNumber": invoice.invoice_number,
        "issueDate": invoice.issue_date.isoformat(),
        "invoicingDate": iso(invoice.invoicing_date),
        "acquisitionDate": iso(invoice.acquisition_date),
        "permanentStorageDate": iso(invoice.permanent_storage_date),
        "seller": {"nip": invoice.seller.identifier_value, "name": invoice.seller.name},
        "buyer": {
            "identifier": {"type": invoice.buyer.identifier_type, "value": invoice.buyer.identifier_value},
            "name": invoice.buyer.name,
        },
        "netAmount": _money(invoice.net_grosze),
        "grossAmount": _money(invoice.gross_grosze),
        "vatAmount": _money(invoice.vat_grosze),
        "currency": invoice.currency,
        "invoicingMode": invoice.invoicing_mode,
        "invoiceType": INVOICE_TYPES.get(invoice.invoice_kind, "Vat"),
        "formCode": invoice.form_code,
        "isSelfInvoicing": invoice.is_self_invoicing,
        "hasAttachment": invoice.has_attachment,
        "invoiceHash": invoice.invoice_hash,
        "thirdSubjects": [
            {
                "identifier": {"type": p.identifier_type, "value": p.identifier_value},
                "name": p.name,
                "role": p.role or 0,
            }
            for p in invoice.third_subjects
        ],
    }
    if invoice.hash_of_corrected_invoice:
        view["hashOfCorrectedInvoice"] = invoice.hash_of_corrected_invoice
    if invoice.authorized_subject is not None:
        view["authorizedSubject"] = {
            "nip": invoice.authorized_subject.identifier_value,
            "name": invoice.authorized_subject.name,
            "role": invoice.authorized_subject.role or 1,
        }
    return view


# --- HWM ---------------------------------------------------------------------------------------------------------


def current_hwm(sim: Simulator, context_nip: str) -> datetime:
    context = sim.context(context_nip)
    lag = context.hwm_lag_seconds if context.hwm_lag_seconds is not None else sim.state.settings.hwm_lag_seconds
    hwm = sim.now() - timedelta(seconds=lag)
    if context.hwm_watermark is not None and context.hwm_watermark > hwm:
        hwm = context.hwm_watermark
    return hwm


def report_hwm(sim: Simulator, context_nip: str) -> datetime:
    """The HWM as told to a client; remembered so that nothing is ever stored below it afterwards."""
    hwm = current_hwm(sim, context_nip)
    context = sim.context(context_nip)
    if context.hwm_watermark is None or hwm > context.hwm_watermark:
        context.hwm_watermark = hwm
        sim.touch()
    return hwm


def _storage_floor(sim: Simulator, nips: list[str]) -> datetime | None:
    """The earliest permanent-storage date still allowed for an invoice touching these contexts."""
    marks = [c.hwm_watermark for nip in nips if (c := sim.state.contexts.get(nip)) and c.hwm_watermark]
    return max(marks) + timedelta(milliseconds=1) if marks else None


# --- creation ----------------------------------------------------------------------------------------------------


def new_ksef_number(sim: Simulator, seller_nip: str, when: datetime) -> str:
    day = when.astimezone(WARSAW).date()
    while True:
        number = ksef_number(seller_nip, day, secrets.token_hex(6).upper())
        if number not in sim.state.invoices:
            return number


def store_invoice(
    sim: Simulator,
    *,
    xml: str,
    parsed: ParsedInvoice,
    invoicing_date: datetime,
    acquisition_date: datetime,
    permanent_storage_date: datetime,
    invoicing_mode: str = "Online",
    session_reference: str | None = None,
    invoice_reference: str | None = None,
    hash_of_corrected_invoice: str | None = None,
) -> Invoice:
    parties = [parsed.seller, parsed.buyer, *parsed.third_subjects]
    floor = _storage_floor(sim, [p.identifier_value for p in parties if p.identifier_value])
    if floor is not None and permanent_storage_date < floor:
        permanent_storage_date = floor
    invoice = Invoice(
        ksef_number=new_ksef_number(sim, parsed.seller.identifier_value or "", invoicing_date),
        xml=xml,
        invoice_hash=sha256_b64(xml.encode("utf-8")),
        invoice_number=parsed.invoice_number,
        invoice_kind=parsed.invoice_kind,
        issue_date=parsed.issue_date,
        invoicing_date=invoicing_date,
        acquisition_date=acquisition_date,
        permanent_storage_date=permanent_storage_date,
        seller=parsed.seller,
        buyer=parsed.buyer,
        third_subjects=parsed.third_subjects,
        authorized_subject=parsed.authorized_subject,
        net_grosze=parsed.net_grosze,
        gross_grosze=parsed.gross_grosze,
        vat_grosze=parsed.vat_grosze,
        currency=parsed.currency,
        invoicing_mode=invoicing_mode,
        form_code=dict(FA3_FORM_CODE),
        is_self_invoicing=parsed.is_self_invoicing,
        has_attachment=parsed.has_attachment,
        hash_of_corrected_invoice=hash_of_corrected_invoice,
        session_reference=session_reference,
        invoice_reference=invoice_reference,
    )
    sim.invoice_index.add(invoice)
    sim.touch()
    return invoice


@dataclass(frozen=True)
class GenerationRequest:
    context: invoicegen.Company
    count: int
    subject_type: str  # Subject1 | Subject2 | both
    spread_days: float
    counterparty_nip: str | None = None


def generate(sim: Simulator, request: GenerationRequest, rnd: random.Random) -> list[Invoice]:
    """Invoices issued over the last `spread_days`, sales and/or purchases of the context, already stored and
    visible; never stored below an HWM already reported for any of their parties."""
    now = sim.now()
    created = []
    counterparties = [invoicegen.random_company(rnd, request.counterparty_nip) if request.counterparty_nip else None]
    for index in range(request.count):
        selling = request.subject_type == "Subject1" or (request.subject_type == "both" and index % 2 == 0)
        other = counterparties[0] or invoicegen.random_company(rnd)
        seller, buyer = (request.context, other) if selling else (other, request.context)
        invoicing = now - timedelta(seconds=rnd.uniform(0, request.spread_days * 86400))
        issue_day = (invoicing - timedelta(hours=rnd.uniform(0, 48))).astimezone(WARSAW).date()
        # History: already permanently stored when generated, so it is visible at once.
        storage = min(now, invoicing + timedelta(milliseconds=rnd.randint(300, 5000)))
        acquisition = min(storage, invoicing + timedelta(milliseconds=rnd.randint(100, 2000)))
        sequence = len(sim.invoice_index.for_subject("Subject1", seller.nip)) + 1
        number = f"FV/{issue_day:%Y/%m}/{sequence:05d}/{rnd.randint(100, 999)}"
        xml = invoicegen.invoice_xml(
            seller=seller, buyer=buyer, number=number, issue_date=issue_day, created=invoicing, rnd=rnd
        )
        parsed = ParsedInvoice(
            system_code="FA (3)",
            schema_version="1-0E",
            invoice_number=number,
            invoice_kind="VAT",
            issue_date=issue_day,
            currency="PLN",
            seller=Party("Nip", seller.nip, seller.name),
            buyer=Party("Nip", buyer.nip, buyer.name),
            third_subjects=[],
            authorized_subject=None,
            is_self_invoicing=False,
            has_attachment=False,
            **_amounts(xml),
        )
        created.append(
            store_invoice(
                sim,
                xml=xml,
                parsed=parsed,
                invoicing_date=invoicing,
                acquisition_date=acquisition,
                permanent_storage_date=storage,
            )
        )
    return created


def _amounts(xml: str) -> dict[str, int]:
    """Totals of a generated invoice, read back from its text (cheaper than a full parse + XSD validation)."""

    def grab(pattern: str) -> int:
        return sum(round(float(value) * 100) for value in re.findall(pattern, xml))

    return {
        "net_grosze": grab(r"<P_13_[123]>([\d.]+)</P_13_[123]>"),
        "vat_grosze": grab(r"<P_14_[123]>([\d.]+)</P_14_[123]>"),
        "gross_grosze": grab(r"<P_15>([\d.]+)</P_15>"),
    }
