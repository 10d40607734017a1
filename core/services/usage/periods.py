"""Package months: a package month starts on the billing day (1–28) at midnight Europe/Warsaw."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Period:
    start: date  # first Warsaw day of the package month
    end: date  # first Warsaw day of the next one

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m}"


def _month_day(year: int, month: int, day: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, day)


def period_containing(day: date, billing_day: int) -> Period:
    if day.day >= billing_day:
        start = _month_day(day.year, day.month, billing_day)
    else:
        start = _month_day(day.year, day.month - 1, billing_day)
    return Period(start, _month_day(start.year, start.month + 1, billing_day))
