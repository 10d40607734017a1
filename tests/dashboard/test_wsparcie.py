"""The Wsparcie page: open problems grouped by class with cause and fix, fixed from the list (use this company's key,
check again after the client granted rights, retry a whole group as a job), the support bundle, opening the client."""

from __future__ import annotations

import json
import re

import pytest

from core.jobs.worker import drain
from core.services import problems
from core.services.linking import links
from core.types import LinkStatus, ProblemClass
from tests.dashboard.conftest import buttons, open_page, values
from tests.linking import two_broken_clients
from tests.simulated import grant_office


def open_problem(office, problem_class: str):
    (problem,) = problems.list_open(actor=office.manager, problem_class=problem_class)
    return problem


@pytest.fixture
def broken(sim, office):
    return two_broken_clients(sim, office)


def test_problems_are_grouped_with_cause_and_fix(broken, signed_in, office):
    at = open_page(signed_in("support"), "wsparcie")
    assert not at.exception
    assert values(at.subheader) == ["Brak uprawnień (1)", "Niepoprawny klucz firmy (1)"]
    # Each group carries a chip: text on a colour, not a colour or an emoji alone.
    assert [m for m in values(at.markdown) if "-badge[" in m] == [":red-badge[wymaga działania]"] * 2
    text = "\n".join(values(at.markdown))
    assert "**Przyczyna:** Klient nie nadał biuru uprawnień w KSeF albo je odebrał." in text
    assert "**Co zrobić:** Użyj klucza tej firmy (strona Klient → Klucz firmy)" in text
    captions = values(at.caption)
    assert any(c.startswith("Dotyczy 1 klienta: Firma rights_missing (NIP ") for c in captions)
    assert "2 otwarte problemy (rodzajów: 2)." in captions
    wrong = open_problem(office, ProblemClass.wrong_company_key)
    missing = open_problem(office, ProblemClass.missing_rights)
    assert {f"wsparcie_use_key_{wrong.id}", f"wsparcie_verify_{wrong.id}", f"wsparcie_verify_{missing.id}"} <= buttons(
        at
    )
    assert f"wsparcie_use_key_{missing.id}" not in buttons(at)  # the key is not what is wrong there


def test_in_english_the_problems_and_their_messages_are_english(broken, signed_in, office):
    at = open_page(signed_in("support"), "wsparcie")
    at.selectbox(key="lang_switch").select("en").run()
    assert values(at.subheader) == ["Missing permissions (1)", "Wrong company key (1)"]
    text = "\n".join(values(at.markdown))
    assert "**Cause:** The client has not granted the office permissions in KSeF, or has withdrawn them." in text
    nip = broken.nips["rights_missing"]
    assert f"This key belongs to the company Firma rights_missing (NIP {nip}), not to Firma wrong_company_key" in text
    assert not re.search("[ąćęłńóśźż]", text), text


def test_use_this_company_s_key_closes_the_problem(broken, signed_in, office):
    wrong = open_problem(office, ProblemClass.wrong_company_key)
    at = open_page(signed_in("support"), "wsparcie")
    at.button(key=f"wsparcie_use_key_{wrong.id}").click().run()
    assert values(at.success) == [
        f"Firma wrong_company_key (NIP {broken.nips['wrong_company_key']}): połączenie działa (status: połączony)."
    ]
    assert values(at.subheader) == ["Brak uprawnień (1)"]


def test_checking_again_before_and_after_the_client_grants_rights(broken, sim, signed_in, office):
    missing = open_problem(office, ProblemClass.missing_rights)
    at = open_page(signed_in("support"), "wsparcie")
    at.button(key=f"wsparcie_verify_{missing.id}").click().run()
    (failure,) = values(at.error)  # still missing: the error stays under the problem
    assert failure.startswith(f"Firma rights_missing (NIP {broken.nips['rights_missing']}): Brak uprawnień")
    grant_office(sim, broken.nips["rights_missing"])
    at.button(key=f"wsparcie_verify_{missing.id}").click().run()
    assert values(at.subheader) == ["Niepoprawny klucz firmy (1)"]
    assert problems.list_open(actor=office.manager, problem_class=ProblemClass.missing_rights) == []


def test_retrying_a_group_runs_a_job_and_closes_what_now_works(broken, sim, signed_in, office):
    grant_office(sim, broken.nips["rights_missing"])
    at = open_page(signed_in("support"), "wsparcie")
    at.button(key="wsparcie_retry_missing_rights").click().run()
    assert "Zadanie czeka na wykonawcę…" in [bar.text for bar in at.get("progress")]
    assert at.button(key="wsparcie_retry_missing_rights").disabled
    assert drain() == 1
    at.run()
    assert "Ponowione: udane 1, nieudane 0." in values(at.info)
    assert values(at.subheader) == ["Niepoprawny klucz firmy (1)", "Brak uprawnień (0)"]
    at.button(key="wsparcie_dismiss_missing_rights").click().run()
    assert values(at.subheader) == ["Niepoprawny klucz firmy (1)"]


def test_when_every_problem_is_fixed_the_inbox_says_so(broken, sim, signed_in, office):
    grant_office(sim, broken.nips["rights_missing"])
    links.use_current_key(actor=office.support, client_id=broken.ids["wrong_company_key"])
    assert links.verify_link(actor=office.support, client_id=broken.ids["rights_missing"]).status == LinkStatus.linked
    at = open_page(signed_in("support"), "wsparcie")
    assert values(at.success) == ["Brak otwartych problemów."] and not at.subheader


def test_open_the_client_and_the_support_bundle(broken, signed_in, office):
    wrong = open_problem(office, ProblemClass.wrong_company_key)
    at = open_page(signed_in("manager"), "wsparcie")
    assert f"wsparcie_bundle_{wrong.id}" in {element.key for element in at.get("download_button")}
    bundle = json.loads(problems.support_bundle(actor=office.support, problem_id=wrong.id))
    assert bundle["problem"]["class"] == ProblemClass.wrong_company_key
    at.button(key=f"wsparcie_open_{wrong.id}").click().run()
    assert values(at.title) == ["Firma wrong_company_key"]
    assert at.session_state["klient_selected"] == broken.ids["wrong_company_key"]


def test_analyst_has_no_operation_pages(signed_in):
    at = signed_in("analyst")
    for page in ("wsparcie", "polacz", "certyfikaty"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            open_page(at, page)


def test_a_sync_problem_is_retried_by_a_sync_which_closes_it(sim, signed_in, office):
    from core import db
    from core.ksef.errors import KsefFailure
    from tests.linking import link_with_token
    from tests.simulated import seed_clients

    seeded = seed_clients(sim, office, ["healthy"])
    link_with_token(seeded, "healthy")
    with db.session_scope(write=True) as session:
        failure = KsefFailure(ProblemClass.network, "Przekroczono czas oczekiwania na odpowiedź KSeF.")
        problem = problems.record_failure(
            session, office_id=office.office_id, client_id=seeded.ids["healthy"], operation="sync", failure=failure
        )
        session.flush()
        problem_id = problem.id
    at = open_page(signed_in("support"), "wsparcie")
    assert f"wsparcie_verify_{problem_id}" not in buttons(at)
    at.button(key=f"wsparcie_sync_{problem_id}").click().run()
    (queued,) = values(at.success)
    assert queued.startswith(f"Firma healthy (NIP {seeded.nips['healthy']}): synchronizacja zaplanowana na ")
    assert drain() == 1
    at.run()
    assert values(at.success) == ["Brak otwartych problemów."]


def test_retrying_a_sync_during_its_backoff_runs_it_now(sim, signed_in, office):
    from datetime import timedelta

    import sqlalchemy as sa

    from core import db
    from core.models import JobRun
    from core.services.sync.request import request_sync
    from core.types import utcnow
    from tests.linking import link_with_token
    from tests.simulated import seed_clients

    seeded = seed_clients(sim, office, ["healthy"])
    link_with_token(seeded, "healthy")
    client_id = seeded.ids["healthy"]
    sim.set_faults(errorRate=1.0)
    request_sync(actor=office.support, client_id=client_id)
    assert drain() == 1  # failed; the job now waits for its retry
    with db.session_scope(write=True) as session:  # a long backoff
        session.execute(
            sa.update(JobRun).where(JobRun.status == "pending").values(run_after=utcnow() + timedelta(hours=1))
        )
    sim.clear_faults()
    (problem,) = problems.list_open(actor=office.manager, client_id=client_id)
    at = open_page(signed_in("support"), "wsparcie")
    at.button(key=f"wsparcie_sync_{problem.id}").click().run()
    assert not at.error, values(at.error)
    assert drain() == 1  # it ran now, not in an hour
    at.run()
    assert values(at.success) == ["Brak otwartych problemów."]
