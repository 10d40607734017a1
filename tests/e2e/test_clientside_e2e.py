"""Issue 14 in a real browser: a manager invites a person of a client company on Programy klientów; the e-mail lands
in the demo's mail catcher; its activation link (opened without a login) lets the person set a password; the new
client user signs in and sees only its own company."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from core.services.notifications import settings as notification_settings
from core.settings import get_settings
from tests.e2e.conftest import open_page, settled, sign_in
from tests.mailcatcher import catcher  # noqa: F401 - the fixture: a mail catcher process

pytestmark = pytest.mark.e2e


def _caught_link() -> str:
    files = sorted(get_settings().mailbox_dir.glob("*.eml"))
    assert files, "the invitation reached the mail catcher"
    message = message_from_bytes(files[-1].read_bytes(), policy=policy.default)
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://\S+", body)
    assert link, body
    return link.group(0)


def test_invite_activate_and_the_client_user_sees_only_its_company(catcher, page, ui_url, office, two_clients):  # noqa: F811
    notification_settings.update_smtp(
        actor=office.manager, host="127.0.0.1", port=catcher, security="none", sender="konsola@biuro.example.pl"
    )
    sign_in(page, ui_url, "kierownik", office.passwords["kierownik"])
    open_page(page, "Programy klientów")
    page.locator(".st-key-klient_pick").click()
    page.get_by_role("option", name=re.compile("Firma Własna")).click()
    settled(page)
    page.locator(".st-key-programy_invite_email input").fill("jan@firma-wlasna.example.pl")
    page.get_by_role("button", name="Zaproś").click()
    settled(page)
    expect(page.get_by_text("Wysłano zaproszenie do jan@firma-wlasna.example.pl.")).to_be_visible()

    link = urlparse(_caught_link())
    assert link.path == "/aktywacja"
    visitor = page.context.browser.new_page(locale="pl-PL")  # someone else's browser: no session of the office
    visitor.goto(f"{ui_url.rstrip('/')}{link.path}?{link.query}")
    expect(visitor.get_by_role("heading", name="Aktywacja konta")).to_be_visible()
    expect(visitor.get_by_text(re.compile("Firma Własna"))).to_be_visible()
    visitor.locator(".st-key-aktywacja_username input").fill("jan.klient")
    visitor.locator(".st-key-aktywacja_password input").fill("haslo-jana-1")
    visitor.locator(".st-key-aktywacja_repeat input").fill("haslo-jana-1")
    visitor.get_by_role("button", name="Aktywuj konto").click()
    expect(visitor.get_by_text("Konto jan.klient jest aktywne. Zaloguj się nim.")).to_be_visible()

    visitor.goto(f"{ui_url.rstrip('/')}{link.path}?{link.query}")  # the link is single-use
    expect(visitor.get_by_text(re.compile("już użyty"))).to_be_visible()

    visitor.goto(ui_url)
    visitor.locator(".st-key-login_username input").fill("jan.klient")
    visitor.locator(".st-key-login_password input").fill("haslo-jana-1")
    visitor.get_by_role("button", name="Zaloguj").click()
    expect(visitor.get_by_role("heading", name="Moja firma")).to_be_visible()
    settled(visitor)
    expect(visitor.get_by_text(re.compile("Firma Własna"))).to_be_visible()
    expect(visitor.get_by_text(re.compile("Firma Obca"))).to_have_count(0)
    # Its one page: Streamlit draws no menu at all, so no office page is even named.
    expect(visitor.get_by_test_id("stSidebarNav")).to_have_count(0)
    # A reload and its own page's address keep the client user on its page; an office page's address says "no
    # access" (not an error).
    visitor.reload()
    expect(visitor.get_by_role("heading", name="Moja firma")).to_be_visible()
    visitor.goto(f"{ui_url.rstrip('/')}/moja_firma")
    expect(visitor.get_by_role("heading", name="Moja firma")).to_be_visible()
    expect(visitor.get_by_text(re.compile("Firma Własna"))).to_be_visible()
    visitor.goto(f"{ui_url.rstrip('/')}/klienci")
    expect(visitor.get_by_text("Nie masz dostępu do tej strony.")).to_be_visible()
    expect(visitor.get_by_text(re.compile("StreamlitAPIException"))).to_have_count(0)
