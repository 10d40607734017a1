"""The Klienci page in a real browser against `streamlit run`."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from core.models import ClientCreate
from core.services.clients import register as clients
from tests.e2e.conftest import open_page, settled, sign_in
from tests.factories import two_hundred_clients_with_three_bad_rows, valid_nips

pytestmark = pytest.mark.e2e


def table_cells(page: Page):
    return page.get_by_test_id("stDataFrame").locator('td[role="gridcell"]')


def test_manager_adds_a_client_and_sees_it_in_the_table(page, ui_url, office):
    sign_in(page, ui_url, "kierownik", office.passwords["kierownik"])
    open_page(page, "Klienci")
    expect(page.get_by_text("Brak klientów spełniających kryteria.")).to_be_visible()

    nip = valid_nips(1, seed=41)[0]
    page.locator(".st-key-klienci_add_nip input").fill(nip)
    page.locator(".st-key-klienci_add_name input").fill("Firma z Przeglądarki sp. z o.o.")
    page.locator(".st-key-klienci_add_email input").fill("biuro@przegladarka.pl")
    page.locator(".st-key-klienci_add_submit button").click()

    expect(page.get_by_text(f"(NIP {nip})")).to_be_visible()
    expect(table_cells(page).filter(has_text=nip)).to_have_count(1)
    expect(table_cells(page).filter(has_text="Firma z Przeglądarki sp. z o.o.")).to_have_count(1)
    expect(table_cells(page).filter(has_text="niepołączony")).to_have_count(1)
    settled(page)
    added = clients.find_client_by_nip(actor=office.manager, nip=nip)
    assert (added.name, added.email) == ("Firma z Przeglądarki sp. z o.o.", "biuro@przegladarka.pl")


def test_import_of_200_clients_with_3_bad_rows_names_them_and_saves_nothing(page, ui_url, worker, office, tmp_path):
    content, expected = two_hundred_clients_with_three_bad_rows()
    upload = tmp_path / "klienci.csv"
    upload.write_bytes(content)
    sign_in(page, ui_url, "kierownik", office.passwords["kierownik"])
    open_page(page, "Klienci")

    page.get_by_role("tab", name="Import z pliku").click()
    page.locator(".st-key-klienci_import_file input[type=file]").set_input_files(upload)
    start = page.locator(".st-key-klienci_import_start button")
    expect(start).to_be_enabled()
    start.click()

    # The worker runs the job; the page's progress fragment sees it end and redraws with the outcome.
    expect(page.get_by_text("Import pliku klienci.csv odrzucony — nic nie zapisano.")).to_be_visible()
    for line in expected:
        expect(page.get_by_text(line, exact=True)).to_be_visible()
    expect(page.get_by_text("Brak klientów spełniających kryteria.")).to_be_visible()
    assert clients.list_clients(actor=office.manager).total == 0


def test_ticking_a_row_opens_the_client_and_the_register_stays_reachable(page, ui_url, office):
    nips = valid_nips(3, seed=43)
    for index, nip in enumerate(nips):
        clients.add_client(actor=office.manager, data=ClientCreate(nip=nip, name=f"Firma {index}"))
    sign_in(page, ui_url, "analityk", office.passwords["analityk"])
    open_page(page, "Klienci")
    grid = page.get_by_test_id("stDataFrame")
    expect(table_cells(page).filter(has_text="Firma 1")).to_have_count(1)
    box = grid.bounding_box()
    assert box is not None
    # The grid is a canvas: tick the row-marker box of the second row (header and rows are about 35 px high).
    page.mouse.click(box["x"] + 15, box["y"] + 35 + 35 + 17)
    expect(page.get_by_role("heading", name="Firma 1")).to_be_visible()
    expect(page.get_by_text(f"NIP {nips[1]} · środowisko SIM")).to_be_visible()
    settled(page)
    # Back in the register, the earlier tick does not send the user to the client again.
    page.get_by_role("link", name="Klienci").click()
    expect(page.get_by_role("heading", name="Klienci")).to_be_visible()
    expect(page.get_by_text("Klienci 1–3 z 3")).to_be_visible()
    settled(page)
    expect(page.get_by_role("heading", name="Klienci")).to_be_visible()


def test_at_1440x900_twenty_rows_and_every_column_fit_without_scrolling_sideways(page, ui_url, office, tmp_path):
    from datetime import UTC, datetime, timedelta

    from tests import seeding

    ids = seeding.add_clients(office, 30, prefix="Przedsiębiorstwo Handlowo-Usługowe Długa Nazwa")
    seeding.add_certificate(office, ids[0], valid_to=datetime.now(UTC) - timedelta(days=2), label="stary")
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, ui_url, "kierownik", office.passwords["kierownik"])
    open_page(page, "Klienci")
    grid = page.get_by_test_id("stDataFrame")
    expect(grid).to_be_visible()
    settled(page)
    page.screenshot(path=str(tmp_path / "klienci-1440x900.png"))
    page.screenshot(path="/tmp/uicore_klienci.png")
    box = grid.bounding_box()
    assert box is not None
    visible_rows = (min(box["y"] + box["height"], 900) - box["y"] - 28) // 28  # the header and rows are 28 px
    assert visible_rows >= 20, f"only {visible_rows} rows visible at 1440×900 (table top at {box['y']:.0f} px)"
    scroller = grid.locator(".dvn-scroller").first
    overflow = scroller.evaluate("e => e.scrollWidth - e.clientWidth")
    assert overflow <= 1, f"the table scrolls sideways by {overflow} px"
    for header in ("NIP", "Nazwa", "Status połączenia", "Metoda", "Certyfikat ważny do", "Wykorzystanie pakietu"):
        expect(grid.locator("th", has_text=header)).to_have_count(1)
