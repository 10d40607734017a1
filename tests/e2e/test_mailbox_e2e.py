"""Issue 11 §7 in a real browser: the e-mails the console sent through the demo's mail catcher are on Ustawienia →
Powiadomienia, with subject, recipient and date; a click shows the text."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.services.notifications import delivery
from core.services.notifications import settings as notification_settings
from tests.e2e.conftest import open_page, settled, sign_in
from tests.mailcatcher import catcher  # noqa: F401 - the fixture: a mail catcher process

pytestmark = pytest.mark.e2e


def test_the_manager_reads_the_demo_s_emails_in_the_notifications_settings(catcher, page, ui_url, office):  # noqa: F811
    notification_settings.update_smtp(
        actor=office.manager, host="127.0.0.1", port=catcher, security="none", sender="konsola@biuro.example.pl"
    )
    notice = delivery.Notice("invitation", "invitation:e2e", "Zaproszenie do konsoli KSeF", "Dzień dobry,\nzapraszamy.")
    assert delivery.deliver(office.office_id, notice, ["klient@firma.example.pl"]) == ("sent", "")

    sign_in(page, ui_url, "kierownik", office.passwords["kierownik"])
    open_page(page, "Ustawienia")
    page.get_by_role("tab", name="Powiadomienia").click()
    settled(page)
    expect(page.get_by_role("heading", name="Skrzynka lokalna (demo)")).to_be_visible()
    message = page.get_by_test_id("stExpander").filter(has_text="Zaproszenie do konsoli KSeF")
    expect(message).to_contain_text("klient@firma.example.pl")
    expect(message.get_by_text("zapraszamy.")).not_to_be_visible()
    message.locator("summary").click()
    expect(message.get_by_text("zapraszamy.")).to_be_visible()
