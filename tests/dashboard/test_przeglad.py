"""Przegląd: every role lands on it; KPI tiles, the Latarnia banner, package alerts and the four charts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from core import db
from core.formatting import format_date, warsaw_today
from core.models import EnvironmentStatus
from core.services.usage import package
from core.types import LinkStatus, ProblemClass, UsageKind
from tests import seeding
from tests.dashboard.conftest import PRZEGLAD, figure_titles, figures, registered_pages, values


def metrics(at) -> dict[str, str]:
    """The tiles: st.metric ones, then the package tile (a small label over a heading that wraps)."""
    found = {metric.label: metric.value for metric in at.metric}
    texts = values(at.markdown)
    for label, value in pairwise(texts):
        if label.startswith(":small[") and value.startswith("## "):
            found[label.removeprefix(":small[").removesuffix("]")] = value.removeprefix("## ")
    return found


@pytest.mark.parametrize("role", ["manager", "support", "analyst"])
def test_every_role_lands_on_the_overview(signed_in, role):
    at = signed_in(role)
    assert str(PRZEGLAD) in registered_pages(at)
    assert values(at.title) == ["Przegląd"]
    assert list(metrics(at)) == ["Klienci", "Otwarte problemy", "Certyfikaty wygasające w 30 dni", "Pakiet KSeF"]
    assert len(figures(at)) == 4 and not at.exception


def test_tiles_count_clients_problems_certificates_and_the_package(signed_in, office):
    ids = seeding.add_clients(office, 4)
    seeding.set_link_status(ids[0], LinkStatus.linked)
    seeding.set_link_status(ids[1], LinkStatus.linked)
    seeding.set_link_status(ids[2], LinkStatus.error)
    seeding.add_problem(office, ids[2], ProblemClass.network)
    seeding.add_problem(office, ids[2], ProblemClass.missing_rights, days_ago=3)
    now = datetime.now(UTC)
    seeding.add_certificate(office, ids[0], valid_to=now + timedelta(days=10), label="soon")
    seeding.add_certificate(office, ids[1], valid_to=now + timedelta(days=90), label="later")
    seeding.seed_usage(office, {(ids[0], warsaw_today(), UsageKind.invoice_received): 3})
    package.update_package(actor=office.manager, monthly_limit=1200, billing_day=1, policy="warn")
    at = signed_in("analyst")
    assert metrics(at) == {
        "Klienci": "4",
        "Otwarte problemy": "2",
        "Certyfikaty wygasające w 30 dni": "1",
        "Pakiet KSeF": "3 z 1 200",
    }
    captions = values(at.caption)
    assert "niepołączony: 1 · połączony: 2 · błąd: 1" in captions
    assert "brak uprawnień: 1 · problem z połączeniem: 1" in captions
    (bar,) = at.get("progress")
    assert bar.text == "0 % limitu"


def test_the_charts_show_the_package_period_and_the_data(signed_in, office):
    ids = seeding.add_clients(office, 2)
    seeding.set_link_status(ids[0], LinkStatus.linked)
    today = warsaw_today()
    seeding.seed_usage(office, {(ids[0], today, UsageKind.invoice_sent): 2})
    seeding.add_certificate(office, None, valid_to=datetime.now(UTC) + timedelta(days=40), label="office")
    at = signed_in("manager")
    usage = package.package_usage(actor=office.manager)
    last = usage.period.end - timedelta(days=1)
    assert figure_titles(at) == [
        f"Pakiet „KSeF” w okresie {format_date(usage.period.start)}–{format_date(last)}",
        "Klienci według statusu połączenia",
        "Wygasające certyfikaty KSeF według miesięcy",
        "Nowe problemy w ostatnich 30 dniach",
    ]
    burndown, links, calendar, _problems = figures(at)
    used = next(trace for trace in burndown["data"] if trace["name"] == "Wykorzystane (narastająco)")
    assert used["y"][-1] == 2
    assert {trace["name"] for trace in burndown["data"]} >= {"Równe tempo (budżet)", "Prognoza na koniec okresu"}
    assert links["data"][0]["x"] == ["niepołączony", "połączony"]
    assert sum(calendar["data"][0]["y"]) == 1


def test_the_package_alerts_at_80_percent_and_when_used_up(signed_in, office):
    ids = seeding.add_clients(office, 1)
    seeding.seed_usage(office, {(ids[0], warsaw_today(), UsageKind.invoice_received): 9})
    package.update_package(actor=office.manager, monthly_limit=10, billing_day=1, policy="warn")
    at = signed_in("analyst")
    warnings = values(at.warning)
    assert "Pakiet KSeF wykorzystany w 90 %: 9 z 10 operacji." in warnings
    runs_out = package.package_usage(actor=office.manager).runs_out_on
    if runs_out is not None:  # the pace crosses the limit before the period ends (depends on today's date)
        assert any(f"pakiet skończy się {format_date(runs_out)}" in text for text in warnings)
    package.update_package(actor=office.manager, monthly_limit=8, billing_day=1, policy="hold")
    at.run()
    assert values(at.error) == [
        "Pakiet KSeF wyczerpany: 9 z 8 operacji (112 %). Prace nienaglące (np. pobieranie historii) są wstrzymane "
        "do nowego okresu."
    ]
    assert not any("skończy się" in text for text in values(at.warning))


def test_a_banner_when_latarnia_says_ksef_is_down(signed_in, office):
    with db.session_scope(write=True) as session:
        session.add(EnvironmentStatus(environment="SIM", status="FAILURE"))
        session.add(EnvironmentStatus(environment="PROD", status="AVAILABLE"))
    at = signed_in("support")
    assert values(at.error) == ["KSeF (SIM) jest niedostępny — awaria według Latarni KSeF."]
    with db.session_scope(write=True) as session:
        session.get(EnvironmentStatus, "SIM").status = "AVAILABLE"
    at.run()
    assert not at.error and not at.warning


def test_an_empty_office_shows_zeroes_without_alerts(signed_in):
    at = signed_in("manager")
    assert metrics(at)["Pakiet KSeF"] == "0 z 10 000"
    assert "Brak klientów w rejestrze." in values(at.caption)
    assert "Brak otwartych problemów." in values(at.caption)
    assert not at.error and not at.warning


def test_the_overview_in_english(signed_in):
    at = signed_in("analyst")
    at.selectbox(key="lang_switch").select("en").run()
    assert values(at.title) == ["Overview"]
    assert "Clients by link status" in figure_titles(at)
    assert "Clients" in metrics(at)
