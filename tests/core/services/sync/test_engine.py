"""The sync engine's window arithmetic (PROTOCOL.md §7.2, §7.4): windows of at most three months, adjacent, the newest
stopping at KSeF's HWM, and the continuation after a truncated result."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.ksef.gateway import parse_ksef_datetime
from core.services.sync.engine import WINDOW, is_newest, next_page, next_window_start, window_end, window_range

NOW = datetime(2026, 7, 15, 9, 30, tzinfo=UTC)


def plus_three_months(moment: datetime) -> datetime:
    """The same day and time three calendar months later (the last day of the month when that day is missing)."""
    month = moment.month + 3
    year, month = moment.year + (month - 1) // 12, (month - 1) % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def walk(start: datetime, now: datetime) -> list[dict[str, Any]]:
    """The windows a sync reads from `start` when every window is read to its end."""
    ranges = []
    while True:
        date_range = window_range(start, now)
        ranges.append(date_range)
        if is_newest(date_range):
            return ranges
        start = next_window_start(start, window_end({"dateRange": date_range}, {}))


moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC))


def test_an_old_start_gets_a_closed_window():
    start = NOW - timedelta(days=200)
    assert window_range(start, NOW) == {
        "dateType": "PermanentStorage",
        "from": start.isoformat(),
        "to": (start + WINDOW).isoformat(),
    }


@pytest.mark.parametrize("age", [WINDOW, WINDOW - timedelta(seconds=1), timedelta(0)])
def test_a_window_that_reaches_now_is_the_newest_and_stops_at_the_hwm(age):
    start = NOW - age
    assert window_range(start, NOW) == {
        "dateType": "PermanentStorage",
        "from": start.isoformat(),
        "restrictToPermanentStorageHwmDate": True,
    }


@given(moments)
def test_a_window_never_spans_more_than_three_months(start):
    date_range = window_range(start, start + timedelta(days=400))
    assert parse_ksef_datetime(date_range["to"]) <= plus_three_months(start)


@given(moments, st.integers(min_value=0, max_value=3 * 365))
def test_windows_are_adjacent_from_the_start_to_now(start, days):
    now = start + timedelta(days=days, minutes=1)
    ranges = walk(start, now)
    assert parse_ksef_datetime(ranges[0]["from"]) == start
    for earlier, later in pairwise(ranges):
        assert later["from"] == earlier["to"]  # no gap, no overlap
    assert [is_newest(r) for r in ranges] == [False] * (len(ranges) - 1) + [True]
    assert parse_ksef_datetime(ranges[-1]["from"]) + WINDOW >= now


def test_the_next_window_opens_where_reading_reached():
    start = NOW - timedelta(days=200)
    assert next_window_start(start, start + timedelta(days=40)) == start + timedelta(days=40)
    # Nothing reached, or nothing beyond the start: move on by a whole window rather than read it again.
    assert next_window_start(start, None) == start + WINDOW
    assert next_window_start(start, start) == start + WINDOW
    assert next_window_start(start, start - timedelta(days=1)) == start + WINDOW


def test_a_closed_window_ends_the_hwm_at_its_end():
    date_range = window_range(NOW - timedelta(days=200), NOW)
    answer = {"permanentStorageHwmDate": "2026-07-15T08:00:00Z"}
    assert window_end({"dateRange": date_range}, answer) == parse_ksef_datetime(date_range["to"])


def test_the_newest_window_ends_the_hwm_where_ksef_says():
    date_range = window_range(NOW - timedelta(days=3), NOW)
    answer = {"permanentStorageHwmDate": "2026-07-15T08:00:00.123Z"}
    assert window_end({"dateRange": date_range}, answer) == datetime(2026, 7, 15, 8, 0, 0, 123000, tzinfo=UTC)
    assert window_end({"dateRange": date_range}, {}) is None


def _page(dates: list[str], *, truncated: bool) -> dict[str, Any]:
    invoices = [{"ksefNumber": f"N{i}", "permanentStorageDate": d} for i, d in enumerate(dates)]
    return {"hasMore": True, "isTruncated": truncated, "invoices": invoices}


def test_a_page_with_more_to_come_is_followed_by_the_next_page():
    filters = {"subjectType": "Subject2", "dateRange": window_range(NOW - timedelta(days=200), NOW)}
    assert next_page(filters, _page(["2026-01-01T10:00:00Z"], truncated=False), 3) == (filters, 4)


def test_a_truncated_result_continues_from_the_last_record_with_a_fresh_page_count():
    date_range = window_range(NOW - timedelta(days=200), NOW)
    filters = {"subjectType": "Subject2", "dateRange": date_range}
    page = _page(["2026-01-01T10:00:00Z", "2026-01-02T11:30:00.5Z"], truncated=True)
    moved, offset = next_page(filters, page, 39)
    assert offset == 0
    assert moved == {"subjectType": "Subject2", "dateRange": {**date_range, "from": "2026-01-02T11:30:00.5Z"}}
    assert filters["dateRange"] is date_range and date_range["from"] == (NOW - timedelta(days=200)).isoformat()
