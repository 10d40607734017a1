"""The login survives a reload and a new tab, every page has an address, logout kills the cookie (issue 11 §3)."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from core.models import ClientCreate
from core.security import ROLE_PERMISSIONS
from core.services import web_sessions
from core.services.clients import register as clients
from core.texts import render
from core.types import Role
from dashboard import nav
from tests.e2e.conftest import open_page, settled, sign_in
from tests.factories import valid_nips

pytestmark = pytest.mark.e2e

LOGIN_BUTTON = "Zaloguj"


def session_cookie(context: BrowserContext) -> dict | None:
    """The login cookie once the page has handed it over (the browser POSTs its one-time ticket after login)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found = [c for c in context.cookies() if c["name"] == web_sessions.COOKIE_NAME]
        if found:
            return found[0]
        time.sleep(0.1)
    return None


def login_form(page: Page):
    return page.get_by_role("button", name=LOGIN_BUTTON)


def no_english_dialog(page: Page) -> None:
    expect(page.get_by_text("Page not found")).to_have_count(0)


@pytest.mark.parametrize("role", ["manager", "support", "analyst"])
def test_each_role_reloads_every_page_it_may_see_and_stays_signed_in(page, ui_url, office, role):
    actor = getattr(office, role)
    sign_in(page, ui_url, actor.username, office.passwords[actor.username])
    cookie = session_cookie(page.context)
    assert cookie is not None, "the login cookie was never set"
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert cookie["value"] not in page.url
    titles = [render(spec.title_key, "pl") for spec in nav.PAGES if spec.permission in ROLE_PERMISSIONS[Role(role)]]
    for title in titles:
        open_page(page, title)
        address = page.url
        page.reload()
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
        settled(page)
        assert page.url == address
        expect(login_form(page)).to_have_count(0)
        no_english_dialog(page)


def test_a_client_address_opens_in_a_new_tab_and_before_login_lands_there_after_it(page, ui_url, office):
    nip = valid_nips(1, seed=77)[0]
    clients.add_client(actor=office.manager, data=ClientCreate(nip=nip, name="Firma pod Adresem sp. z o.o."))
    address = f"{ui_url}klient?nip={nip}"

    # Signed out, the link shows the login form at its own address; after login the client is there.
    page.goto(address)
    expect(login_form(page)).to_be_visible()
    no_english_dialog(page)
    page.locator(".st-key-login_username input").fill("wsparcie")
    page.locator(".st-key-login_password input").fill(office.passwords["wsparcie"])
    login_form(page).click()
    expect(page.get_by_role("heading", name="Firma pod Adresem sp. z o.o.")).to_be_visible()
    settled(page)
    assert session_cookie(page.context) is not None

    # A new tab of the same browser (its cookies; the fixture's page owns its context): signed in, same client.
    other = page.context.browser.new_context(locale="pl-PL")
    other.add_cookies(page.context.cookies())
    tab = other.new_page()
    tab.goto(address)
    expect(tab.get_by_role("heading", name="Firma pod Adresem sp. z o.o.")).to_be_visible()
    expect(login_form(tab)).to_have_count(0)
    assert f"nip={nip}" in tab.url
    other.close()


def test_a_page_the_role_may_not_open_and_an_unknown_address_answer_in_polish(page, ui_url, office):
    sign_in(page, ui_url, "analityk", office.passwords["analityk"])
    session_cookie(page.context)
    page.goto(f"{ui_url}ustawienia")
    expect(page.get_by_text("Nie masz dostępu do tej strony.")).to_be_visible()
    no_english_dialog(page)
    page.goto(f"{ui_url}nie-ma-takiej")
    expect(page.get_by_text("Nie ma takiej strony. Wybierz stronę z menu po lewej.")).to_be_visible()
    no_english_dialog(page)
    expect(login_form(page)).to_have_count(0)


def test_logout_ends_the_session_and_the_old_cookie_no_longer_works(page, ui_url, office):
    sign_in(page, ui_url, "kierownik", office.passwords["kierownik"])
    cookie = session_cookie(page.context)
    assert cookie is not None
    page.get_by_role("button", name="Wyloguj").click()
    expect(login_form(page)).to_be_visible()
    settled(page)
    # The browser drops the cookie; a copy of it (replayed in a fresh browser) opens nothing.
    deadline = time.monotonic() + 10
    while any(c["name"] == web_sessions.COOKIE_NAME for c in page.context.cookies()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(c["name"] == web_sessions.COOKIE_NAME for c in page.context.cookies())
    other = page.context.browser.new_context(locale="pl-PL")
    other.add_cookies([cookie])
    replay = other.new_page()
    replay.goto(f"{ui_url}klienci")
    expect(login_form(replay)).to_be_visible()
    expect(replay.get_by_role("heading", name="Klienci", exact=True)).to_have_count(0)
    other.close()
