"""Invoice metadata queries (paging, sorting, filters, the 10,000 cap, HWM) and downloads by KSeF number."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from ksef_client.exceptions import KsefApiError
from ksef_client.models import InvoiceQueryBuyerIdentifier, InvoiceQueryDateRange, InvoiceQueryFilters

from tests.simulator.flows import CLIENT_NIP, OFFICE_NIP, filters, invoice, open_session, token_auth


def _access(admin, ksef, scenario="healthy"):
    seeded = admin.seed(
        OFFICE_NIP, "Biuro", [{"nip": CLIENT_NIP, "name": "Klient", "scenario": scenario}], invoices_per_client=0
    )
    return token_auth(ksef, CLIENT_NIP, seeded["clients"][0]["ksefToken"]).access_token


def _code(error: KsefApiError) -> int:
    return error.response_body["exception"]["exceptionDetailList"][0]["exceptionCode"]


def test_paging_over_more_than_250_results(admin, ksef):
    access = _access(admin, ksef)
    created = set(admin.generate_invoices(CLIENT_NIP, 520, "Subject1", spread_days=20)["ksefNumbers"])
    seen, pages, query = [], [], filters(days=30)
    for offset in range(3):
        page = ksef.invoices.query_invoice_metadata(query, access_token=access, page_offset=offset, page_size=250)
        pages.append(page)
        seen += [item.ksef_number for item in page.invoices]
    assert [len(p.invoices) for p in pages] == [250, 250, 20]
    assert [p.has_more for p in pages] == [True, True, False]
    assert not any(p.is_truncated for p in pages)
    assert set(seen) == created and len(seen) == len(set(seen))
    dates = [item.permanent_storage_date for p in pages for item in p.invoices]
    assert dates == sorted(dates)
    assert pages[0].permanent_storage_hwm_date == pages[2].permanent_storage_hwm_date
    descending = ksef.invoices.query_invoice_metadata(query, access_token=access, page_size=10, sort_order="Desc")
    assert [i.ksef_number for i in descending.invoices] == seen[::-1][:10]
    assert admin.invoices(CLIENT_NIP, "Subject1") == sorted(created)


def test_truncation_at_10000_and_continuation(admin, ksef):
    access = _access(admin, ksef)
    admin.generate_invoices(CLIENT_NIP, 10_050, "Subject1", spread_days=20)
    query = filters(days=30)
    last_page = ksef.invoices.query_invoice_metadata(query, access_token=access, page_offset=39, page_size=250)
    assert (len(last_page.invoices), last_page.has_more, last_page.is_truncated) == (250, True, True)
    before = ksef.invoices.query_invoice_metadata(query, access_token=access, page_offset=38, page_size=250)
    assert (before.has_more, before.is_truncated) == (True, False)
    # The documented continuation: move dateRange.from to the last record's date and start from page 0.
    rest_from = last_page.invoices[-1].permanent_storage_date
    rest = ksef.invoices.query_invoice_metadata(
        InvoiceQueryFilters(
            subject_type="Subject1", date_range=InvoiceQueryDateRange(date_type="PermanentStorage", from_=rest_from)
        ),
        access_token=access,
        page_size=250,
    )
    assert (len(rest.invoices), rest.has_more, rest.is_truncated) == (51, False, False)
    assert rest.invoices[0].ksef_number == last_page.invoices[-1].ksef_number  # from is inclusive


def test_filters_and_date_types(admin, ksef):
    access = _access(admin, ksef)
    numbers = admin.generate_invoices(CLIENT_NIP, 12, "both", counterparty_nip="5265877635", spread_days=5)[
        "ksefNumbers"
    ]
    sales = ksef.invoices.query_invoice_metadata(
        filters("Subject1", "Invoicing", 10), access_token=access, page_size=50
    ).invoices
    purchases = ksef.invoices.query_invoice_metadata(
        filters("Subject2", "Issue", 10), access_token=access, page_size=50
    ).invoices
    assert len(sales) == len(purchases) == 6
    assert {i.ksef_number for i in sales + purchases} == set(numbers)
    assert all(i.seller.nip == CLIENT_NIP for i in sales) and all(i.seller.nip == "5265877635" for i in purchases)
    one = sales[0]
    by_number = ksef.invoices.query_invoice_metadata(
        filters("Subject1", days=10, ksef_number=one.ksef_number), access_token=access
    ).invoices
    assert [i.ksef_number for i in by_number] == [one.ksef_number]
    by_invoice_number = ksef.invoices.query_invoice_metadata(
        filters("Subject1", days=10, invoice_number=one.invoice_number), access_token=access
    ).invoices
    assert [i.ksef_number for i in by_invoice_number] == [one.ksef_number]
    buyer = ksef.invoices.query_invoice_metadata(
        filters("Subject1", days=10, buyer_identifier=InvoiceQueryBuyerIdentifier(type="Nip", value="5265877635")),
        access_token=access,
    ).invoices
    assert len(buyer) == 6
    seller = ksef.invoices.query_invoice_metadata(
        filters("Subject2", days=10, seller_nip="5265877635"), access_token=access
    ).invoices
    assert len(seller) == 6
    assert one.gross_amount == pytest.approx(one.net_amount + one.vat_amount, abs=0.011)


def test_hwm_restriction_and_21183(admin, ksef):
    access = _access(admin, ksef)
    admin.set_hwm_lag(CLIENT_NIP, 3600)
    page = ksef.invoices.query_invoice_metadata(filters(days=30, restrict=True), access_token=access)
    hwm = datetime.fromisoformat(page.permanent_storage_hwm_date)
    assert timedelta(minutes=59) < datetime.now(UTC) - hwm < timedelta(minutes=61)
    recent = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    beyond = InvoiceQueryFilters(
        subject_type="Subject1",
        date_range=InvoiceQueryDateRange(
            date_type="PermanentStorage", from_=recent, restrict_to_permanent_storage_hwm_date=True
        ),
    )
    with pytest.raises(KsefApiError) as error:
        ksef.invoices.query_invoice_metadata(beyond, access_token=access)
    assert _code(error.value) == 21183
    issue = ksef.invoices.query_invoice_metadata(filters(date_type="Issue"), access_token=access)
    assert issue.permanent_storage_hwm_date is None


def test_download_errors_and_range_limit(admin, ksef, http):
    access = _access(admin, ksef)
    with pytest.raises(KsefApiError) as error:
        ksef.invoices.get_invoice(f"{CLIENT_NIP}-20260105-0100001AF629-AF", access_token=access)
    assert _code(error.value) == 21164
    too_long = {
        "subjectType": "Subject1",
        "dateRange": {"dateType": "Issue", "from": "2026-01-01T00:00:00Z", "to": "2026-06-01T00:00:00Z"},
    }
    response = http.post(
        "/v2/invoices/query/metadata",
        json=too_long,
        headers={"Authorization": f"Bearer {access}", "X-Error-Format": "problem-details"},
    )
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == 21405


def test_invoice_not_yet_stored_is_21165(admin, ksef):
    access = _access(admin, ksef)
    admin.settings(permanentStorageLagSeconds=3600)
    session = open_session(ksef, access)
    reference = session.send_invoice(invoice(CLIENT_NIP, "FV/lag/1")).reference_number
    status = ksef.sessions.get_session_invoice_status(session.reference_number, reference, access_token=access)
    assert status.permanent_storage_date is None
    with pytest.raises(KsefApiError) as error:
        ksef.invoices.get_invoice(status.ksef_number, access_token=access)
    assert _code(error.value) == 21165


def test_reading_needs_invoice_read(admin, ksef):
    access = _access(admin, ksef, "rights_missing")
    with pytest.raises(KsefApiError) as error:
        ksef.invoices.query_invoice_metadata(filters(), access_token=access)
    assert error.value.status_code == 403
    assert error.value.response_body["security"]["requiredAnyOfPermissions"] == ["InvoiceRead"]
