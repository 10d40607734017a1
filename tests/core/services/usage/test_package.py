"""Billing periods, rollups and the forecast, including month boundaries in Europe/Warsaw time."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from core import db
from core.errors import InvalidInput, PermissionDenied
from core.jobs import queue
from core.models import ClientCreate, Invoice, UsageDaily, UsageEvent
from core.services.clients import register as clients
from core.services.usage.hold import held_offices
from core.services.usage.package import forecast, office_package_usage, update_package
from core.services.usage.periods import Period, period_containing
from core.services.usage.rollups import rebuild_rollup
from tests.factories import valid_nips


@pytest.mark.parametrize(
    ("day", "billing_day", "start", "end"),
    [
        (date(2026, 11, 22), 1, date(2026, 11, 1), date(2026, 12, 1)),
        (date(2026, 11, 9), 10, date(2026, 10, 10), date(2026, 11, 10)),
        (date(2026, 11, 10), 10, date(2026, 11, 10), date(2026, 12, 10)),
        (date(2026, 12, 31), 15, date(2026, 12, 15), date(2027, 1, 15)),
        (date(2027, 1, 3), 28, date(2026, 12, 28), date(2027, 1, 28)),
    ],
)
def test_periods_start_on_the_billing_day(day, billing_day, start, end):
    assert period_containing(day, billing_day) == Period(start, end)


def test_forecast_projects_the_pace_and_finds_the_run_out_day():
    period = Period(date(2026, 11, 1), date(2026, 12, 1))  # 30 days
    now = datetime(2026, 11, 10, 23, 0, tzinfo=UTC)  # 11 Nov 00:00 in Warsaw: 10 days elapsed
    elapsed, projected, runs_out = forecast(1000, 2000, period, now)
    assert elapsed == pytest.approx(10.0)
    assert projected == 3000
    assert runs_out == date(2026, 11, 21)
    assert forecast(100, 2000, period, now)[2] is None  # at this pace the package lasts


def _usage_event(client_id: int, office_id: int, at: datetime, kind: str = "invoice_received") -> None:
    with db.session_scope(write=True) as session:
        invoice = Invoice(client_id=client_id, subject_type="Subject2")
        session.add(invoice)
        session.flush()
        session.add(
            UsageEvent(office_id=office_id, client_id=client_id, invoice_id=invoice.id, kind=kind, occurred_at=at)
        )


def test_rollup_counts_by_warsaw_day_across_the_month_boundary(office):
    client = clients.add_client(actor=office.manager, data=ClientCreate(nip=valid_nips(1)[0], name="A"))
    # 30 Nov 23:30 UTC is already 1 December in Warsaw (UTC+1): it belongs to December's package month.
    _usage_event(client.id, office.office_id, datetime(2026, 11, 30, 22, 59, tzinfo=UTC))
    _usage_event(client.id, office.office_id, datetime(2026, 11, 30, 23, 30, tzinfo=UTC))
    _usage_event(client.id, office.office_id, datetime(2026, 12, 1, 10, 0, tzinfo=UTC), "invoice_sent")
    rebuild_rollup(date(2026, 11, 1))
    with db.session_scope() as session:
        rows = sorted(session.execute(sa.select(UsageDaily.day, UsageDaily.kind, UsageDaily.count)).all())
    assert rows == [
        (date(2026, 11, 30), "invoice_received", 1),
        (date(2026, 12, 1), "invoice_received", 1),
        (date(2026, 12, 1), "invoice_sent", 1),
    ]
    november = office_package_usage(office.office_id, datetime(2026, 11, 30, 12, tzinfo=UTC))
    december = office_package_usage(office.office_id, datetime(2026, 12, 1, 12, tzinfo=UTC))
    assert (november.used, december.used, december.used_sent) == (1, 2, 1)


def test_rollup_rebuild_is_idempotent(office):
    client = clients.add_client(actor=office.manager, data=ClientCreate(nip=valid_nips(1)[0], name="A"))
    for hour in range(5):
        _usage_event(client.id, office.office_id, datetime(2026, 11, 20, hour, tzinfo=UTC))
    rebuild_rollup(date(2026, 11, 1))
    rebuild_rollup(date(2026, 11, 1))
    with db.session_scope() as session:
        assert session.execute(sa.select(sa.func.sum(UsageDaily.count))).scalar_one() == 5


def test_package_settings_are_checked_and_manager_only(office):
    with pytest.raises(PermissionDenied):
        update_package(actor=office.support, monthly_limit=10, billing_day=1, policy="warn")
    with pytest.raises(InvalidInput) as error:
        update_package(actor=office.manager, monthly_limit=-1, billing_day=31, policy="panic")
    assert len(error.value.problems) == 3
    update_package(actor=office.manager, monthly_limit=3, billing_day=5, policy="hold")
    usage = office_package_usage(office.office_id)
    assert (usage.limit, usage.billing_day, usage.policy) == (3, 5, "hold")


def test_the_limit_is_at_least_one_operation(office):
    """Issue 11 §6: a limit of 0 was accepted and showed "0 %" for any usage."""
    with pytest.raises(InvalidInput) as error:
        update_package(actor=office.manager, monthly_limit=0, billing_day=1, policy="warn")
    assert error.value.problems == ["Limit operacji musi wynosić co najmniej 1 operację miesięcznie."]
    assert office_package_usage(office.office_id).limit == 10_000
    update_package(actor=office.manager, monthly_limit=1, billing_day=1, policy="warn")
    assert office_package_usage(office.office_id).limit == 1


def test_a_used_up_package_ran_out_on_the_day_usage_crossed_the_limit(office):
    """Issue 11 §6: back-loaded usage put the pace's run-out day (here 11 Nov) before any usage at all."""
    client = clients.add_client(actor=office.manager, data=ClientCreate(nip=valid_nips(1)[0], name="A"))
    update_package(actor=office.manager, monthly_limit=10, billing_day=1, policy="warn")
    for day, count in ((18, 6), (19, 3), (20, 4)):  # nothing before 18 Nov; the 10th operation comes on 20 Nov
        for _ in range(count):
            _usage_event(client.id, office.office_id, datetime(2026, 11, day, 10, tzinfo=UTC))
    rebuild_rollup(date(2026, 11, 1))
    usage = office_package_usage(office.office_id, datetime(2026, 11, 24, 12, tzinfo=UTC))
    assert usage.exhausted and usage.runs_out_on == date(2026, 11, 20)
    # Not used up yet: the forecast day, never before today.
    update_package(actor=office.manager, monthly_limit=15, billing_day=1, policy="warn")
    ahead = office_package_usage(office.office_id, datetime(2026, 11, 24, 12, tzinfo=UTC))
    assert not ahead.exhausted and ahead.runs_out_on is not None
    assert date(2026, 11, 24) <= ahead.runs_out_on <= date(2026, 11, 30)


def test_an_exhausted_package_under_hold_keeps_non_urgent_jobs_waiting(office):
    client = clients.add_client(actor=office.manager, data=ClientCreate(nip=valid_nips(1)[0], name="A"))
    update_package(actor=office.manager, monthly_limit=2, billing_day=1, policy="hold")
    now = datetime.now(UTC)
    for _ in range(2):
        _usage_event(client.id, office.office_id, now - timedelta(minutes=1))
    rebuild_rollup(now.date() - timedelta(days=1))
    with db.session_scope(write=True) as session:
        backfill = queue.insert(session, kind="ping", period="backfill", urgent=False, office_id=office.office_id).id
        urgent = queue.insert(session, kind="ping", period="regular", urgent=True, office_id=office.office_id).id
    assert held_offices() == [office.office_id]
    assert [j.id for j in queue.claim("w", limit=5, held_offices=held_offices())] == [urgent]
    update_package(actor=office.manager, monthly_limit=2, billing_day=1, policy="warn")  # warn only: work goes on
    assert [j.id for j in queue.claim("w", limit=5, held_offices=held_offices())] == [backfill]
