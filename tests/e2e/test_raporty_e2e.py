"""Issue 6's journey in a real browser: an analyst signs in, sees the overview, exports the usage report as XLSX and
the downloaded workbook holds the rows seeded for the office."""

from __future__ import annotations

from datetime import timedelta

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from core.formatting import warsaw_today
from core.services.usage import package
from core.services.usage.periods import period_containing
from core.types import UsageKind
from tests import seeding
from tests.e2e.conftest import open_page, settled, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def usage(office):
    """Usage this month and on the first day of the previous one (both inside the page's default range)."""
    ids = seeding.add_clients(office, 2, seed=83, prefix="Klient")
    today = warsaw_today()
    earlier = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    plan = {
        (ids[0], earlier, UsageKind.invoice_received): 4,
        (ids[0], today, UsageKind.invoice_received): 2,
        (ids[0], today, UsageKind.invoice_sent): 1,
        (ids[1], today, UsageKind.invoice_received): 5,
    }
    seeding.seed_usage(office, plan)  # the events, then rebuild_rollup(first day) so the rollup exists
    package.update_package(actor=office.manager, monthly_limit=1000, billing_day=1, policy="warn")
    names = {ids[0]: "Klient 01", ids[1]: "Klient 02"}
    kinds = {UsageKind.invoice_received: "faktura odebrana", UsageKind.invoice_sent: "faktura wysłana"}
    expected = sorted(
        (names[client], period_containing(day, 1).label, kinds[kind], count)
        for (client, day, kind), count in plan.items()
    )
    used_now = sum(count for (_, day, _), count in plan.items() if day >= package.package_usage(
        actor=office.manager).period.start)  # fmt: skip
    return expected, used_now


def test_an_analyst_sees_the_overview_and_exports_the_usage_report_as_xlsx(usage, page, ui_url, office, tmp_path):
    expected, used_now = usage
    sign_in(page, ui_url, "analityk", office.passwords["analityk"])
    expect(page.get_by_role("heading", name=f"{used_now} z 1 000", exact=True)).to_have_count(1)  # the package tile
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(4)
    expect(page.get_by_text("Pakiet „KSeF” w okresie")).to_be_visible()  # the burn-down chart's title
    expect(page.get_by_role("link", name="Ustawienia")).to_have_count(0)  # not an analyst's page

    open_page(page, "Raporty")
    page.locator(".st-key-raporty_export_prepare button").click()
    download_button = page.locator(".st-key-raporty_export_download button")
    expect(download_button).to_be_visible()
    settled(page)
    with page.expect_download() as download_info:
        download_button.click()
    download = download_info.value
    assert download.suggested_filename.startswith("uzycie_") and download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    sheet = load_workbook(saved, read_only=True).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["NIP", "Nazwa", "Miesiąc pakietu", "Rodzaj operacji", "Kod rodzaju", "Liczba operacji"]
    assert sorted((name, month, kind, int(count)) for _nip, name, month, kind, _code, count in rows[1:]) == expected
