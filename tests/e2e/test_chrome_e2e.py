"""Streamlit's own English words are not seen in the Polish UI (issue 11 §4): uploader, date placeholder, copy button,
select placeholders."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from core.models import ClientCreate
from core.services.clients import register as clients
from tests.e2e.conftest import open_page, settled, sign_in
from tests.factories import valid_nips

pytestmark = pytest.mark.e2e

ENGLISH_PLACEHOLDERS = ("Choose an option", "Choose options", "Select an option")


def after_content(page: Page, selector: str) -> str:
    return page.locator(selector).first.evaluate("e => getComputedStyle(e, '::after').content")


def no_english_placeholders(page: Page) -> None:
    placeholders = page.locator("input[placeholder]").evaluate_all("els => els.map(e => e.placeholder)")
    assert not [p for p in placeholders if p in ENGLISH_PLACEHOLDERS], placeholders


def test_the_uploader_speaks_polish(page, ui_url, office):
    sign_in(page, ui_url, "kierownik", office.passwords["kierownik"])
    open_page(page, "Klienci")
    page.get_by_role("tab", name="Import z pliku").click()
    dropzone = page.get_by_test_id("stFileUploaderDropzone")
    expect(dropzone).to_be_visible()
    expect(dropzone.get_by_text("Upload", exact=True)).to_be_hidden()
    expect(dropzone.get_by_text("per file")).to_be_hidden()
    assert "Upload" not in dropzone.inner_text() and "per file" not in dropzone.inner_text()
    assert (
        after_content(page, '[data-testid="stFileUploaderDropzone"] button span[data-has-shortcut]') == '"Wybierz plik"'
    )
    assert after_content(page, '[data-testid="stFileUploaderDropzoneInstructions"] > div') == '"Plik do 200 MB"'
    no_english_placeholders(page)


def test_dates_selects_and_code_blocks_speak_polish(page, ui_url, office):
    nip = valid_nips(1, seed=91)[0]
    clients.add_client(actor=office.manager, data=ClientCreate(nip=nip, name="Firma Kodowa"))
    sign_in(page, ui_url, "kierownik", office.passwords["kierownik"])
    open_page(page, "Faktury")
    year = page.locator('[data-testid="stDateInput"] [data-type="year"][data-placeholder="true"]').first
    expect(year).to_be_attached()
    assert year.evaluate("e => getComputedStyle(e).fontSize") == "0px"
    assert year.evaluate("e => getComputedStyle(e, '::after').content") == '"rrrr"'
    no_english_placeholders(page)
    # The company key is shown as code: its English "Copy to clipboard" button is not offered.
    page.goto(f"{ui_url}klient?nip={nip}")
    expect(page.get_by_role("heading", name="Firma Kodowa")).to_be_visible()
    settled(page)
    expect(page.get_by_test_id("stCode").first).to_be_visible()
    expect(page.get_by_role("button", name="Copy to clipboard")).to_be_hidden()
    no_english_placeholders(page)
