"""Wygaszanie tokenów (issue 12 #5): the countdown on Przegląd, the rights check, the bulk switch as a job, the
instructions once by e-mail and as a PDF; manager and support only."""

from __future__ import annotations

import pytest

from core.jobs.worker import drain
from core.services.campaign import tokens as campaign
from tests.core.services.campaign.test_token_campaign import inbox, token_office  # noqa: F401 - fixture
from tests.dashboard.conftest import frame_with, open_page, page_path, registered_pages, values


def test_the_campaign_from_przeglad_to_zero_left_on_tokens_but_the_uninstructable(sim, signed_in, office, inbox):  # noqa: F811
    seeded, _certificate = token_office(sim, office, granted=3, missing=2)
    at = signed_in("manager")
    sunset = at.get("page_link")
    assert any("Otwórz kampanię" in str(link.proto.label) for link in sunset)
    assert any("na tokenach nadal 5 klientów" in m.value for m in at.markdown)

    at = open_page(at, "wygaszanie")
    assert [m.value for m in at.metric][1:] == ["5", "0", "0"]
    assert at.button(key="wygaszanie_switch").disabled
    at.button(key="wygaszanie_check").click().run()
    assert not at.error, values(at.error)
    assert values(at.success) == ["Sprawdzono w KSeF: certyfikat biura może obsłużyć 3 z 5 klientów."]
    assert at.button(key="wygaszanie_switch").label == "Przełącz 3 klientów na certyfikat biura"
    frame = frame_with(at, "Certyfikat biura działa").set_index("Klient")
    assert frame.loc["Firma rights_missing", "Certyfikat biura działa"] == "nie — brak uprawnień"
    assert "InvoiceRead" in frame.loc["Firma rights_missing", "Dlaczego"]

    at.button(key="wygaszanie_switch").click().run()
    drain("test-worker")
    at.run()
    assert values(at.success)[-1] == "Przełączono 3 klientów na certyfikat biura."
    assert [m.value for m in at.metric][1:] == ["2", "0", "3"]

    at.button(key="wygaszanie_send").click().run()
    assert values(at.success)[-1].startswith("Instrukcje: wysłane 2, wysłane już wcześniej 0")
    assert at.button(key="wygaszanie_send").disabled  # each client gets it once
    assert at.button(key="wygaszanie_send").label == "Brak klientów do poinstruowania"
    assert len(inbox.messages) == 2
    frame = frame_with(at, "Etap").set_index("Klient")
    assert frame.loc["Firma rights_missing", "Etap"] == "instrukcja wysłana"
    assert frame.loc["Firma healthy", "Etap"] == "przełączony"
    assert at.get("download_button")  # the PDF letter of the chosen client

    # The clients grant the rights; the next check and switch bring the count to zero.
    from tests.simulated import grant_office

    for name in ("rights_missing", "rights_missing2"):
        grant_office(sim, seeded.nips[name])
    at.button(key="wygaszanie_check").click().run()
    at.button(key="wygaszanie_switch").click().run()
    drain("test-worker")
    at.run()
    assert [m.value for m in at.metric][1:] == ["0", "0", "5"]
    assert "Żaden klient nie zależy już od tokenu KSeF." in values(at.success)
    assert campaign.campaign(actor=office.manager).remaining == 0


@pytest.mark.parametrize(("role", "allowed"), [("manager", True), ("support", True), ("analyst", False)])
def test_only_manager_and_support_get_the_page(signed_in, role, allowed):
    at = signed_in(role)
    assert (page_path("wygaszanie") in registered_pages(at)) == allowed


def test_the_campaign_table_shows_one_page_of_the_clients_on_tokens(signed_in, office, monkeypatch):
    from core import db
    from core.models import Link
    from core.types import AuthMethod, KsefEnvironment
    from dashboard.wygaszanie import campaign as page
    from tests import seeding

    monkeypatch.setattr(page, "PAGE_SIZE", 2)
    ids = seeding.add_clients(office, 5)
    with db.session_scope(write=True) as session:
        for client_id in ids:
            session.add(Link(client_id=client_id, environment=KsefEnvironment.SIM, auth_method=AuthMethod.ksef_token))
    at = open_page(signed_in("support"), "wygaszanie")
    assert [m.value for m in at.metric][1] == "5"  # the tiles count every client on a token
    assert frame_with(at, "Klient")["Klient"].tolist() == ["Firma 01", "Firma 02"]
    assert "Klienci 1–2 z 5" in values(at.caption)
    at.number_input(key="wygaszanie_page").set_value(3).run()
    assert frame_with(at, "Klient")["Klient"].tolist() == ["Firma 05"]
