"""A job kind's retry backoff (RetryPolicy.delay): doubling from 5 s, capped at 15 minutes, with ±20 % jitter."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.jobs import spec
from core.jobs.spec import RetryPolicy

POLICY = RetryPolicy()
backoff_seconds = POLICY.delay


@pytest.fixture
def no_jitter(monkeypatch):
    monkeypatch.setattr(spec.random, "uniform", lambda low, high: 1.0)


def test_the_delay_doubles_from_five_seconds(no_jitter):
    assert [backoff_seconds(n) for n in range(1, 9)] == [5, 10, 20, 40, 80, 160, 320, 640]


def test_the_delay_stops_at_fifteen_minutes(no_jitter):
    assert POLICY.backoff_cap == 900
    assert [backoff_seconds(n) for n in (9, 10, 30, 1000)] == [900, 900, 900, 900]


def test_no_attempt_yet_waits_like_the_first(no_jitter):
    assert backoff_seconds(0) == backoff_seconds(-3) == backoff_seconds(1) == 5


@pytest.mark.parametrize(("pick", "expected"), [(min, 16.0), (max, 24.0)])
def test_the_jitter_is_twenty_percent_either_way(monkeypatch, pick, expected):
    """The third attempt waits 20 s nominally: 16 s at the low end of the jitter, 24 s at the high end."""
    monkeypatch.setattr(spec.random, "uniform", lambda low, high: pick(low, high))
    assert backoff_seconds(3) == pytest.approx(expected)


@given(st.integers(min_value=0, max_value=200))
def test_every_delay_stays_inside_its_jitter_band(attempts):
    nominal = min(900, 5 * 2 ** max(0, attempts - 1))
    assert 0.8 * nominal <= backoff_seconds(attempts) <= 1.2 * nominal


def test_retries_do_not_all_wait_the_same():
    """Jobs that failed together must not come back together."""
    assert len({backoff_seconds(4) for _ in range(20)}) > 1


def test_a_send_outlasts_a_long_ksef_outage_before_its_invoices_end_failed():
    from core.jobs.kinds import SEND_INVOICES
    from core.types import ProblemClass

    policy = SEND_INVOICES.retry
    waits = [
        policy.delay(attempt) / 1.2
        for attempt in range(1, policy.attempts)
        if policy.retries(ProblemClass.ksef_unavailable, attempt)
    ]
    assert sum(waits) >= 20 * 60  # even at the shortest jitter the retries span a 20-minute outage
