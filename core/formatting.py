"""Polish formats: DD.MM.RRRR dates, Europe/Warsaw times, `1 234,56 zł` amounts, decimal comma."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

WARSAW = ZoneInfo("Europe/Warsaw")


def to_warsaw(value: datetime) -> datetime:
    return value.astimezone(WARSAW)


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_warsaw(value).date()
    return f"{value:%d.%m.%Y}"


def format_datetime(value: datetime | None, *, seconds: bool = False) -> str:
    if value is None:
        return ""
    return f"{to_warsaw(value):%d.%m.%Y %H:%M:%S}" if seconds else f"{to_warsaw(value):%d.%m.%Y %H:%M}"


def format_decimal(value: Decimal | int | float, places: int = 2, *, thousands: bool = True) -> str:
    text = f"{Decimal(value):,.{places}f}" if thousands else f"{Decimal(value):.{places}f}"
    return text.replace(",", " ").replace(".", ",")


def format_money(grosze: int | None, currency: str = "zł") -> str:
    """Integer grosze as `1 234,56 zł`."""
    if grosze is None:
        return ""
    return f"{format_decimal(Decimal(grosze) / 100)} {currency}"


def format_amount(value: Decimal, currency: str = "PLN") -> str:
    """A decimal amount as `1 234,56 zł`: two decimals, more when it has them (unit prices may); other currencies
    by their code."""
    exponent = value.normalize().as_tuple().exponent
    places = max(2, -exponent if isinstance(exponent, int) else 2)
    return f"{format_decimal(value, places)} {'zł' if currency in ('', 'PLN') else currency}"


def format_int(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def format_percent(value: float | Decimal, places: int = 0) -> str:
    return f"{format_decimal(Decimal(str(value)) * 100, places)} %"


def warsaw_today(now: datetime | None = None) -> date:
    return (now or datetime.now(WARSAW)).astimezone(WARSAW).date()


def warsaw_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=WARSAW)
