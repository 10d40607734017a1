"""The Połącz firmy picker in a real browser with a few hundred clients: one page of the register reaches the browser,
the pager and the filters ask the database for another, and the choice stays across them (issue 13 §3)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from core import db
from core.models import Client
from tests.e2e.conftest import open_page, settled, sign_in

pytestmark = pytest.mark.e2e

CLIENTS = 300  # every tenth in error, the rest not linked: 270 offered by default, 6 pages of 50


def _add_clients(office_id: int) -> None:
    now = datetime.now(UTC)
    rows = [
        {
            "office_id": office_id, "nip": f"{1_000_000_000 + i:010d}", "name": f"Firma {i:05d}", "email": "",
            "erp_id": "", "environment": "SIM", "notes": "", "link_status": "error" if i % 10 == 0 else "not_linked",
            "created_at": now, "updated_at": now,
        }
        for i in range(CLIENTS)
    ]  # fmt: skip
    with db.session_scope(write=True) as session:
        session.execute(sa.insert(Client), rows)


def _type_in_picker(page: Page, text: str) -> None:
    page.locator(".st-key-polacz_clients input").fill(text)


def _close_picker(page: Page) -> None:
    page.keyboard.press("Escape")
    settled(page)


def _go_to_page(page: Page, number: int) -> None:
    field = page.locator(".st-key-polacz_page input")
    field.fill(str(number))
    field.press("Enter")
    settled(page)


def test_the_picker_pages_and_filters_in_the_database_and_keeps_the_choice(page, ui_url, office):
    _add_clients(office.office_id)
    sign_in(page, ui_url, "kierownik", office.passwords["kierownik"])
    open_page(page, "Połącz firmy")
    expect(page.get_by_text("Klienci 1–50 z 270 pasujących")).to_be_visible()
    select_all = page.locator(".st-key-polacz_select_all button")
    expect(select_all).to_have_text("Wybierz wszystkich pasujących (270)")

    # A client of the last page is not in the browser until its page is shown.
    _type_in_picker(page, "Firma 00299")
    expect(page.get_by_role("option", name=re.compile("Firma 00299"))).to_have_count(0)
    _close_picker(page)
    _go_to_page(page, 6)
    expect(page.get_by_text("Klienci 251–270 z 270 pasujących")).to_be_visible()
    _type_in_picker(page, "Firma 00299")
    page.get_by_role("option", name=re.compile("Firma 00299")).click()
    _close_picker(page)
    expect(page.get_by_text("Wybrano 1 klienta.")).to_be_visible()

    # The search narrows in the database (Firma 00010–00019, less the one in error); the choice stays.
    search = page.locator(".st-key-polacz_search input")
    search.fill("Firma 0001")
    search.press("Enter")
    settled(page)
    expect(page.locator(".st-key-polacz_page")).to_have_count(0)  # one page: no pager
    expect(select_all).to_have_text("Wybierz wszystkich pasujących (9)")
    select_all.click()
    settled(page)
    expect(page.get_by_text("Wybrano 10 klientów.")).to_be_visible()
    chips = page.locator(".st-key-polacz_clients [data-tag]")
    expect(chips).to_have_count(10)
    expect(chips.filter(has_text="Firma 00299")).to_have_count(1)

    # The status filter: the clients in error; choosing all of them adds the 30 to the 10.
    page.locator(".st-key-polacz_show").get_by_text("z błędami", exact=True).click()
    settled(page)
    search.fill("")
    search.press("Enter")
    settled(page)
    expect(select_all).to_have_text("Wybierz wszystkich pasujących (30)")
    select_all.click()
    settled(page)
    expect(page.get_by_text("Wybrano 40 klientów.")).to_be_visible()
    expect(page.get_by_role("button", name="Połącz 40 klientów")).to_be_enabled()
