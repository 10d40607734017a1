"""The office settings service: name, default environment, sync interval (≥ 15 min), the environments' URLs."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core import db
from core.errors import Conflict, InvalidInput, PermissionDenied
from core.models import AuditEvent, EnvironmentStatus
from core.services import office as office_service
from core.services.office import create_office
from core.settings import get_settings


def test_the_manager_updates_the_office_and_it_is_audited(office):
    saved = office_service.update_office(
        actor=office.manager, name="  Biuro Nowe  ", sync_interval_minutes=30, default_environment="TEST"
    )
    assert (saved.name, saved.sync_interval_minutes, saved.default_environment) == ("Biuro Nowe", 30, "TEST")
    assert office_service.office_settings(actor=office.analyst) == saved
    assert saved.account_id == "BR-TEST" and saved.nip == "5265877635"  # the master account never changes here
    with db.session_scope() as session:
        event = session.exec(sa.select(AuditEvent).where(AuditEvent.action == "office.update")).scalar_one()
    assert event.actor == "kierownik" and event.details["interval"] == 30
    assert event.details["before"] == {"name": "Biuro Testowe", "interval": 60, "env": "SIM"}


def test_every_problem_is_named_and_nothing_is_saved(office):
    with pytest.raises(InvalidInput) as refused:
        office_service.update_office(actor=office.manager, name=" ", sync_interval_minutes=10, default_environment="X")
    assert refused.value.problems == [
        "Nazwa biura jest wymagana.",
        "Synchronizacja co 10 min jest niedozwolona: co najmniej co 15 minut (limit KSeF), najwyżej co 10080 minut "
        "(7 dni).",
        "Nieznane środowisko 'X'; dozwolone: PROD, DEMO, TEST, SIM.",
    ]
    assert office_service.office_settings(actor=office.manager).sync_interval_minutes == 60


@pytest.mark.parametrize(("minutes", "ok"), [(14, False), (15, True), (10080, True), (10081, False)])
def test_the_interval_bounds(office, minutes, ok):
    call = lambda: office_service.update_office(  # noqa: E731
        actor=office.manager, name="Biuro", sync_interval_minutes=minutes, default_environment="SIM"
    )
    if ok:
        assert call().sync_interval_minutes == minutes
    else:
        with pytest.raises(InvalidInput):
            call()


@pytest.mark.parametrize("role", ["support", "analyst"])
def test_only_the_manager_may_change_the_office(office, role):
    with pytest.raises(PermissionDenied):
        office_service.update_office(
            actor=getattr(office, role), name="X", sync_interval_minutes=60, default_environment="SIM"
        )


def test_environments_list_the_official_urls_the_simulator_and_the_last_probe(office):
    with db.session_scope(write=True) as session:
        session.add(EnvironmentStatus(environment="TEST", status="MAINTENANCE"))
    found = {env.code: env for env in office_service.environments(actor=office.analyst)}
    assert list(found) == ["PROD", "DEMO", "TEST", "SIM"]
    assert found["PROD"].api_url == "https://api.ksef.mf.gov.pl/v2"
    assert found["DEMO"].api_url == "https://api-demo.ksef.mf.gov.pl/v2"
    assert found["TEST"].api_url == "https://api-test.ksef.mf.gov.pl/v2"
    assert found["SIM"].api_url == get_settings().sim_url + "/v2"
    assert found["PROD"].lighthouse_url == "https://api-latarnia.ksef.mf.gov.pl"
    assert (found["TEST"].status, found["PROD"].status) == ("MAINTENANCE", "")
    assert found["TEST"].checked_at is not None and found["SIM"].name == "symulator (SIM)"


def test_account_ids_are_unique_regardless_of_letter_case(office):
    """Company keys match the account id regardless of case (issue 11 §8), so two offices may not differ by case."""
    with db.session_scope(write=True) as session, pytest.raises(Conflict):
        create_office(session, name="Inne biuro", nip="5265877635", account_id="br-test")
