"""Simulated time: one clock with an admin-controlled offset, and the ISO-8601 forms KSeF speaks.

Everything that KSeF would judge by wall time (token expiry, challenge lifetime, certificate validity, HWM) reads
`Clock.now()`, so tests can jump forward with `POST /_sim/clock` instead of sleeping. Rate limits use the monotonic
clock instead, because their windows are about real request pacing.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

WARSAW = ZoneInfo("Europe/Warsaw")
# How far `POST /_sim/clock` may move simulated time: ten years either way is plenty for expiry and HWM scenarios and
# keeps every date the simulator derives (tokens, certificates, exports) inside what a datetime can hold.
MAX_CLOCK_OFFSET_SECONDS = 10 * 365 * 86_400
_FRACTION = re.compile(r"(\.\d{6})\d+")


class Clock:
    def __init__(self, offset_seconds: float = 0.0) -> None:
        self.offset_seconds = offset_seconds

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset_seconds)


def iso(value: datetime) -> str:
    """UTC with milliseconds and an explicit offset, e.g. 2026-02-01T10:00:00.123+00:00."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds")


def iso_or_none(value: datetime | None) -> str | None:
    return iso(value) if value is not None else None


def epoch_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def parse_datetime(text: str) -> datetime:
    """Parse an ISO-8601 date-time as KSeF accepts it: `Z`, an explicit offset, or none (Europe/Warsaw local time).

    Raises ValueError on anything else; callers turn that into 21405.
    """
    if not isinstance(text, str) or "T" not in text:
        raise ValueError(f"{text!r} is not an ISO-8601 date-time")
    cleaned = _FRACTION.sub(r"\1", text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    parsed = datetime.fromisoformat(cleaned)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=WARSAW)
    return parsed.astimezone(UTC)


def start_of_day_warsaw(day: date) -> datetime:
    """An issue date (P_1, a calendar date) as an instant, for Issue-date filters and sorting."""
    return datetime(day.year, day.month, day.day, tzinfo=WARSAW).astimezone(UTC)


def add_months(value: datetime, months: int) -> datetime:
    """Calendar months, clamping the day (31 Jan + 1 month = 28/29 Feb); used for the 3-month query span."""
    month_index = value.month - 1 + months
    year, month = value.year + month_index // 12, month_index % 12 + 1
    for day in (value.day, 30, 29, 28):
        try:
            return value.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise ValueError("unreachable")
