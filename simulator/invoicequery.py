"""Finding invoices: the shared filter logic of metadata queries and exports, and download by KSeF number.

Rules from the spec (PROTOCOL.md §7.2): at most 3 months per range, `to` defaults to now, sorting by the chosen date
(Issue / Invoicing / PermanentStorage) with the KSeF number breaking ties, at most 10,000 records per filter set
(`isTruncated` on the page that reaches the cap), `permanentStorageHwmDate` only for PermanentStorage queries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.responses import Response

from simulator.api import Call, endpoint, json_response
from simulator.errors import ApiError
from simulator.fa3 import INVOICE_TYPES
from simulator.invoices import report_hwm
from simulator.runtime import Simulator
from simulator.state import Invoice
from simulator.timeutil import WARSAW, add_months, iso_or_none, parse_datetime, start_of_day_warsaw

RESULT_LIMIT = 10_000
SNAPSHOT_LIMIT = 10_000  # remembered query snapshots; the oldest go first
KSEF_NUMBER = re.compile(
    r"^([1-9](\d[1-9]|[1-9]\d)\d{7})-(20[2-9][0-9]|2[1-9]\d{2}|[3-9]\d{3})(0[1-9]|1[0-2])"
    r"(0[1-9]|[12]\d|3[01])-([0-9A-F]{6})-?([0-9A-F]{6})-([0-9A-F]{2})$"
)
HWM_DETAIL = (
    "Parametr dateRange.from jest późniejszy niż PermanentStorageHwmDate przy włączonym "
    "restrictToPermanentStorageHwmDate."
)
SORT_KEYS: dict[str, Callable[[Invoice], datetime]] = {
    "Issue": lambda invoice: start_of_day_warsaw(invoice.issue_date),
    "Invoicing": lambda invoice: invoice.invoicing_date,
    "PermanentStorage": lambda invoice: invoice.permanent_storage_date,
}


class BeyondHwm(Exception):
    """dateRange.from is later than the HWM while restrictToPermanentStorageHwmDate is set."""


@dataclass(frozen=True)
class Snapshot:
    """The moment a query was answered; later pages of the same query reuse it, so pages stay consistent."""

    now: datetime
    hwm: datetime | None


@dataclass(frozen=True)
class Selection:
    invoices: list[Invoice]  # ascending by the chosen date
    date_type: str
    hwm: datetime | None
    snapshot: Snapshot


def _date(value: Any, name: str) -> datetime:
    try:
        return parse_datetime(value)
    except (ValueError, TypeError):
        raise ApiError(21405, f"{name}: {value!r} nie jest poprawną datą ISO-8601.") from None


def _amount_ok(invoice: Invoice, amount: dict[str, Any]) -> bool:
    value = {"Brutto": invoice.gross_grosze, "Netto": invoice.net_grosze, "Vat": invoice.vat_grosze}[amount["type"]]
    low, high = amount.get("from"), amount.get("to")
    return (low is None or value >= round(low * 100)) and (high is None or value <= round(high * 100))


def _extra_filters(filters: dict[str, Any]) -> list[Callable[[Invoice], bool]]:
    checks: list[Callable[[Invoice], bool]] = []
    if filters.get("ksefNumber"):
        checks.append(lambda i: i.ksef_number == filters["ksefNumber"])
    if filters.get("invoiceNumber"):
        checks.append(lambda i: i.invoice_number == filters["invoiceNumber"])
    if filters.get("amount"):
        checks.append(lambda i: _amount_ok(i, filters["amount"]))
    if filters.get("sellerNip"):
        checks.append(lambda i: i.seller.identifier_value == filters["sellerNip"])
    if buyer := filters.get("buyerIdentifier"):
        checks.append(
            lambda i: (
                i.buyer.identifier_type == buyer["type"]
                and (buyer.get("value") in (None, "") or i.buyer.identifier_value == buyer.get("value"))
            )
        )
    if filters.get("currencyCodes"):
        checks.append(lambda i: i.currency in filters["currencyCodes"])
    if filters.get("invoicingMode"):
        checks.append(lambda i: i.invoicing_mode == filters["invoicingMode"])
    if filters.get("isSelfInvoicing") is not None:
        checks.append(lambda i: i.is_self_invoicing == filters["isSelfInvoicing"])
    if filters.get("formType"):
        checks.append(lambda i: i.form_code.get("value") == filters["formType"])
    if filters.get("invoiceTypes"):
        checks.append(lambda i: INVOICE_TYPES.get(i.invoice_kind, "Vat") in filters["invoiceTypes"])
    if filters.get("hasAttachment") is not None:
        checks.append(lambda i: i.has_attachment == filters["hasAttachment"])
    return checks


def select(sim: Simulator, context_nip: str, filters: dict[str, Any], snapshot: Snapshot | None = None) -> Selection:
    date_range = filters["dateRange"]
    date_type = date_range["dateType"]
    now = snapshot.now if snapshot is not None else sim.now()
    start = _date(date_range["from"], "dateRange.from")
    end = _date(date_range["to"], "dateRange.to") if date_range.get("to") else now
    if end < start:
        raise ApiError(21405, "dateRange: data 'to' jest wcześniejsza niż 'from'.")
    if end > add_months(start, 3):
        raise ApiError(21405, "dateRange: maksymalny dozwolony okres wynosi 3 miesiące.")
    hwm = None
    if date_type == "PermanentStorage":
        hwm_now = snapshot.hwm if snapshot is not None and snapshot.hwm else report_hwm(sim, context_nip)
        if date_range.get("restrictToPermanentStorageHwmDate"):
            if start > hwm_now:
                raise BeyondHwm
            end = min(end, hwm_now)
        hwm = min(end, hwm_now)  # for older periods the HWM equals the query's own upper bound
    key = SORT_KEYS[date_type]
    if date_type == "Issue":  # an issue date is a calendar day; compare days in Warsaw
        first_day, last_day = start.astimezone(WARSAW).date(), end.astimezone(WARSAW).date()

        def in_range(invoice: Invoice) -> bool:
            return first_day <= invoice.issue_date <= last_day
    else:

        def in_range(invoice: Invoice) -> bool:
            return start <= key(invoice) <= end

    checks = _extra_filters(filters)
    found = [
        invoice
        for invoice in sim.invoice_index.for_subject(filters["subjectType"], context_nip)
        if invoice.permanent_storage_date <= now and in_range(invoice) and all(check(invoice) for check in checks)
    ]
    found.sort(key=lambda invoice: (key(invoice), invoice.ksef_number))
    return Selection(found, date_type, hwm, Snapshot(now, hwm_now if date_type == "PermanentStorage" else None))


@endpoint("POST", "/invoices/query/metadata")
async def query_metadata(call: Call) -> Response:
    principal = call.require_principal()
    offset = call.query_int("pageOffset", 0, 0)
    size = call.query_int("pageSize", 10, 10, 250)
    order = call.query_enum("sortOrder", ("Asc", "Desc"), "Asc")
    filters = await call.json()
    # "The same query" is the same filters paged from page 0: page 0 takes a fresh snapshot, later pages reuse it,
    # which keeps permanentStorageHwmDate constant across pages as the spec requires.
    key = (principal.context_nip, json.dumps(filters, sort_keys=True))
    snapshots = call.sim.query_snapshots
    try:
        selection = select(call.sim, principal.context_nip, filters, None if offset == 0 else snapshots.get(key))
    except BeyondHwm:
        raise ApiError(21183, HWM_DETAIL) from None
    snapshots.pop(key, None)
    snapshots[key] = selection.snapshot
    while len(snapshots) > SNAPSHOT_LIMIT:
        del snapshots[next(iter(snapshots))]
    ordered = selection.invoices if order == "Asc" else selection.invoices[::-1]
    total = len(ordered)
    first, last = offset * size, offset * size + size
    page = ordered[:RESULT_LIMIT][first:last]
    index = call.sim.invoice_index
    return json_response(
        {
            "hasMore": last < total,
            "isTruncated": total > RESULT_LIMIT and last >= RESULT_LIMIT,
            "permanentStorageHwmDate": iso_or_none(selection.hwm),
            "invoices": [index.metadata(invoice) for invoice in page],
        }
    )


def visible_to(invoice: Invoice, context_nip: str) -> bool:
    parties = [invoice.seller, invoice.buyer, *invoice.third_subjects]
    if invoice.authorized_subject is not None:
        parties.append(invoice.authorized_subject)
    return any(party.identifier_value == context_nip for party in parties)


@endpoint("GET", "/invoices/ksef/{ksefNumber}")
async def download(call: Call) -> Response:
    principal = call.require_principal()
    number = call.params["ksefNumber"]
    if not KSEF_NUMBER.match(number):
        raise ApiError(21405, f"ksefNumber: {number!r} nie jest poprawnym numerem KSeF.")
    invoice = call.sim.state.invoices.get(number)
    if invoice is None or not visible_to(invoice, principal.context_nip):
        raise ApiError(21164, f"Faktura o numerze KSeF {number} nie została znaleziona.")
    if invoice.permanent_storage_date > call.now:
        raise ApiError(
            21165,
            f"Faktura o numerze KSeF {number} została przetworzona, ale nie jest jeszcze "
            "dostępna do pobrania. Spróbuj ponownie później.",
        )
    body = invoice.xml.encode("utf-8")
    return Response(body, media_type="application/xml", headers={"x-ms-meta-hash": invoice.invoice_hash})
