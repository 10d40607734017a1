"""The token campaign in a real browser (issue 12 #5): from Przegląd's countdown to the campaign page, the rights
asked of KSeF, the eligible clients switched by the job, the instruction e-mailed to the one left, and — once that
client grants the rights — the count on Przegląd at zero."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from core.jobs.worker import drain
from core.services.campaign import tokens as campaign
from tests.core.services.campaign.test_token_campaign import inbox, token_office  # noqa: F401 - fixture
from tests.e2e.conftest import settled, sign_in
from tests.simulated import grant_office

pytestmark = pytest.mark.e2e


@pytest.fixture
def token_clients(sim, office, inbox, request):  # noqa: F811
    seeded, _certificate = token_office(sim, office, granted=2, missing=1)
    return seeded, inbox, request.getfixturevalue("ui_url")


def _switch_and_wait(page: Page, label: str) -> None:
    page.get_by_role("button", name=label).click()
    expect(page.get_by_role("button", name=label)).to_be_disabled()  # the job is queued
    drain("e2e-worker")  # the worker's part, in this process


def test_the_campaign_from_the_countdown_to_zero(page: Page, token_clients, sim, office):
    seeded, mailbox, url = token_clients
    sign_in(page, url, "kierownik", office.passwords["kierownik"])
    expect(page.get_by_text("na tokenach nadal 3 klientów")).to_be_visible()
    page.get_by_role("link", name="Otwórz kampanię").click()
    expect(page.get_by_role("heading", name="Wygaszanie tokenów", exact=True)).to_be_visible()
    settled(page)

    page.get_by_role("button", name="Sprawdź uprawnienia w KSeF").click()
    expect(page.get_by_text("certyfikat biura może obsłużyć 2 z 3 klientów")).to_be_visible()
    settled(page)
    _switch_and_wait(page, "Przełącz 2 klientów na certyfikat biura")
    expect(page.get_by_text("Przełączono 2 klientów na certyfikat biura.")).to_be_visible(timeout=20_000)
    settled(page)

    page.get_by_role("button", name="Wyślij instrukcję 1 klientowi").click()
    expect(page.get_by_text("Instrukcje: wysłane 1, wysłane już wcześniej 0")).to_be_visible()
    settled(page)
    assert len(mailbox.messages) == 1
    assert mailbox.messages[0][0] == ["rights_missing@firma.example.pl"]

    grant_office(sim, seeded.nips["rights_missing"])  # the client follows the instruction in KSeF
    page.get_by_role("button", name="Sprawdź uprawnienia w KSeF").click()
    expect(page.get_by_text("certyfikat biura może obsłużyć 1 z 1 klientów")).to_be_visible()
    settled(page)
    _switch_and_wait(page, "Przełącz 1 klienta na certyfikat biura")
    expect(page.get_by_text("Żaden klient nie zależy już od tokenu KSeF.")).to_be_visible(timeout=20_000)
    settled(page)

    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Przegląd", exact=True).click()
    expect(page.get_by_text("żaden klient nie zależy już od tokenu")).to_be_visible()
    assert campaign.campaign(actor=office.manager).remaining == 0
