"""The journey of issue 4 in a real browser: a support user opens Wsparcie, fixes a client linked with a wrong
company key ("Użyj klucza tej firmy") and a client whose rights the simulator then grants ("Sprawdź ponownie"), and
both problems close. The simulator runs in this process; the UI runs as `streamlit run` against the same database."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from core.services import problems
from core.services.clients import register as clients
from core.types import LinkStatus, ProblemClass
from tests.e2e.conftest import settled, sign_in
from tests.linking import two_broken_clients
from tests.simulated import grant_office

pytestmark = pytest.mark.e2e


@pytest.fixture
def broken(sim, office, request):
    """Two broken clients, then the UI: started after the simulator's address is in the environment."""
    seeded = two_broken_clients(sim, office)
    return seeded, request.getfixturevalue("ui_url")


def problem_id(office, problem_class: str) -> int:
    (problem,) = problems.list_open(actor=office.manager, problem_class=problem_class)
    return problem.id


def test_support_fixes_a_wrong_key_and_missing_rights_from_the_inbox(page: Page, broken, sim, office):
    seeded, url = broken
    wrong = problem_id(office, ProblemClass.wrong_company_key)
    missing = problem_id(office, ProblemClass.missing_rights)
    sign_in(page, url, "wsparcie", office.passwords["wsparcie"])

    page.get_by_role("link", name="Wsparcie").click()
    expect(page.get_by_role("heading", name="Wsparcie", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Niepoprawny klucz firmy (1)")).to_be_visible()
    expect(page.get_by_role("heading", name="Brak uprawnień (1)")).to_be_visible()
    expect(page.get_by_text("Klient nie nadał biuru uprawnień w KSeF albo je odebrał.")).to_be_visible()
    settled(page)

    # The wrong company key: put this company's own key on the link; the check passes and the problem closes.
    page.locator(f".st-key-wsparcie_use_key_{wrong} button").click()
    expect(page.get_by_text("połączenie działa (status: połączony)")).to_be_visible()
    expect(page.get_by_role("heading", name="Niepoprawny klucz firmy (1)")).to_have_count(0)
    settled(page)

    # The client grants the office its rights in KSeF (here: through the simulator); support checks again.
    grant_office(sim, seeded.nips["rights_missing"])
    page.locator(f".st-key-wsparcie_verify_{missing} button").click()
    expect(page.get_by_text("Brak otwartych problemów.")).to_be_visible()
    expect(page.get_by_role("heading", name="Brak uprawnień (1)")).to_have_count(0)
    settled(page)

    assert problems.list_open(actor=office.manager) == []
    for name in ("wrong_company_key", "rights_missing"):
        client = clients.get_client(actor=office.manager, client_id=seeded.ids[name])
        assert client.link_status == LinkStatus.linked, (name, client.link_status)
