"""Input of the admin API (`/_sim/*`): one JSON object read field by field, every field checked, unknown ones refused.

Handlers read all their fields first and call `done()` before they change anything, so a bad input answers 400 with
one sentence and leaves the simulator as it was.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection
from datetime import datetime
from typing import Any

from simulator.identifiers import IdentifierError, validate_nip, validate_pesel
from simulator.timeutil import parse_datetime


class AdminError(Exception):
    """An admin call refused: `status` 400 (bad input) or 404 (unknown NIP or serial), one sentence in Polish."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)


def parse_object(raw: bytes) -> dict[str, Any]:
    """An empty body is `{}`; anything but a JSON object (NaN and Infinity included) is refused."""
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError):
        raise AdminError("Treść żądania nie jest poprawnym dokumentem JSON.") from None
    if not isinstance(body, dict):
        raise AdminError("Treść żądania musi być obiektem JSON.")
    return body


def _show(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class Fields:
    """Typed, range-checked access to one JSON object; a missing or null field takes its default."""

    def __init__(self, body: Any, where: str = "") -> None:
        if not isinstance(body, dict):
            raise AdminError(f"{where or 'Treść żądania'} musi być obiektem JSON.")
        self.body, self.where, self.read = body, where, set[str]()

    def name(self, field: str) -> str:
        return f"{self.where}.{field}" if self.where else field

    def _get(self, field: str, required: bool) -> Any:
        self.read.add(field)
        value = self.body.get(field)
        if value is None and required:
            raise AdminError(f"Pole {self.name(field)} jest wymagane.")
        return value

    def raw(self, field: str) -> Any:
        """The value as sent, for a caller that checks it itself."""
        return self._get(field, False)

    def number(self, field: str, low: float, high: float, default: float | None = None) -> float:
        value = self._get(field, default is None)
        if value is None:
            return float(default)  # type: ignore[arg-type]
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise AdminError(f"Pole {self.name(field)} musi być liczbą od {_show(low)} do {_show(high)}.")
        if not low <= value <= high:
            raise AdminError(f"Pole {self.name(field)} musi być liczbą od {_show(low)} do {_show(high)}.")
        return float(value)

    def integer(self, field: str, low: int, high: int, default: int | None = None) -> int:
        value = self._get(field, default is None)
        if value is None:
            return int(default)  # type: ignore[arg-type]
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise AdminError(f"Pole {self.name(field)} musi być liczbą całkowitą od {low} do {high}.")
        return value

    def text(self, field: str, max_length: int, default: str | None = None, min_length: int = 1) -> str:
        value = self._get(field, default is None)
        if value is None:
            return default  # type: ignore[return-value]
        if not isinstance(value, str) or not min_length <= len(value.strip()) <= max_length:
            raise AdminError(f"Pole {self.name(field)} musi być tekstem o długości od {min_length} do {max_length}.")
        return value.strip()

    def choice(self, field: str, allowed: Collection[Any], default: Any = None) -> Any:
        value = self._get(field, default is None)
        if value is None:
            return default
        if isinstance(value, bool) or value not in allowed:
            raise AdminError(f"Pole {self.name(field)} musi mieć jedną z wartości: {', '.join(map(str, allowed))}.")
        return value

    def nip(self, field: str) -> str:
        nip = self.nip_or_none(field, required=True)
        assert nip is not None  # _get refused a missing one
        return nip

    def nip_or_none(self, field: str, *, required: bool = False) -> str | None:
        value = self._get(field, required)
        if value is None:
            return None
        try:
            return validate_nip(value)
        except IdentifierError as error:
            raise AdminError(f"Pole {self.name(field)}: {error}") from None

    def pesel(self, field: str) -> str | None:
        value = self._get(field, False)
        if value is None:
            return None
        try:
            return validate_pesel(value)
        except IdentifierError as error:
            raise AdminError(f"Pole {self.name(field)}: {error}") from None

    def datetime(self, field: str, low: datetime, high: datetime) -> datetime | None:
        value = self._get(field, False)
        if value is None:
            return None
        try:
            parsed = parse_datetime(value)
        except (TypeError, ValueError):
            parsed = None
        if parsed is None or not low <= parsed <= high:
            raise AdminError(
                f"Pole {self.name(field)} musi być datą i czasem ISO 8601 między {low:%Y-%m-%d} a {high:%Y-%m-%d}."
            )
        return parsed

    def items(self, field: str, max_items: int, default: list[Any] | None = None) -> list[Any]:
        value = self._get(field, default is None)
        if value is None:
            return list(default or [])
        if not isinstance(value, list) or len(value) > max_items:
            raise AdminError(f"Pole {self.name(field)} musi być listą o najwyżej {max_items} elementach.")
        return value

    def done(self) -> None:
        """Refuse fields nobody read: a typo must not be silently ignored."""
        unknown = sorted(set(self.body) - self.read)
        if unknown:
            allowed = ", ".join(sorted(self.read)) or "brak pól"
            raise AdminError(f"Nieznane pole {', '.join(map(self.name, unknown))} (dozwolone: {allowed}).")
