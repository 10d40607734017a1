"""Which alerts the overview raises, as data (level, text key, values): pure, so tests need no Streamlit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from core.formatting import format_date, format_int, format_percent
from core.services.usage.package import PackageUsage
from core.types import KsefEnvironment, PackagePolicy

WARN_SHARE = 0.8
AVAILABLE = "AVAILABLE"
KNOWN_KSEF_STATES = ("MAINTENANCE", "FAILURE", "TOTAL_FAILURE", "UNREACHABLE")


@dataclass(frozen=True)
class Alert:
    level: str  # error | warning
    key: str
    values: dict[str, Any] = field(default_factory=dict)


def package_alerts(usage: PackageUsage) -> list[Alert]:
    """100 % (with the policy), else 80 %; and the day the package runs out when that comes before the period ends."""
    if usage.limit <= 0:
        return []
    values = {
        "used": format_int(usage.used),
        "limit": format_int(usage.limit),
        "percent": format_percent(usage.share),
    }
    found = []
    if usage.exhausted:
        hold = usage.policy == PackagePolicy.hold
        found.append(
            Alert("error", "przeglad.alert.package_100_hold" if hold else "przeglad.alert.package_100", values)
        )
    elif usage.share >= WARN_SHARE:
        found.append(Alert("warning", "przeglad.alert.package_80", values))
    last_day = usage.period.end - timedelta(days=1)
    if not usage.exhausted and usage.runs_out_on is not None and usage.runs_out_on <= last_day:
        found.append(
            Alert(
                "warning",
                "przeglad.alert.runs_out",
                {"date": format_date(usage.runs_out_on), "end": format_date(last_day),
                 "forecast": format_int(usage.forecast), "limit": format_int(usage.limit)},
            )
        )  # fmt: skip
    return found


def environment_alerts(environments: Mapping[KsefEnvironment, str]) -> list[Alert]:
    """A banner per KSeF environment whose last Latarnia answer was not AVAILABLE."""
    found = []
    for environment, status in sorted(environments.items()):
        if status and status != AVAILABLE:
            state = status if status in KNOWN_KSEF_STATES else "other"
            level = "warning" if status == "MAINTENANCE" else "error"
            found.append(Alert(level, f"przeglad.ksef.{state}", {"environment": environment, "status": status}))
    return found
