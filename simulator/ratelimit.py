"""KSeF rate limits (PROTOCOL.md §12.1): sliding 1 s / 1 min / 1 h windows per (context, client IP) and group.

Production values come from the official OpenAPI (`x-rate-limits` and the group column of each 429 description).
Every endpoint in `other` (and every ungrouped one) has its own counter, so those keys include the operation.
Requests refused with 429 are not counted: the contract says nothing about it and not counting keeps Retry-After
exact.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_left
from dataclasses import dataclass

from simulator import schema

WINDOWS = (1.0, 60.0, 3600.0)
WINDOW_NAMES = ("sekundę", "minutę", "godzinę")
UNLIMITED = -1
# `other` has a counter per endpoint (PROTOCOL.md §12.1); so do the ungrouped 60 req/s endpoints ("anonymous"),
# whose limit the spec states per operation.
PER_ENDPOINT_GROUPS = ("other", "anonymous")
# Groups that exist in the 2.8-2.9 answer of GET /rate-limits but have no endpoint of their own in 2.7.
_SUPERSET_DEFAULTS: dict[str, tuple[int, int, int]] = {
    "anonymous": (60, UNLIMITED, UNLIMITED),
    "global": (UNLIMITED, UNLIMITED, UNLIMITED),
}
# The order of GET /rate-limits (2.7 schema order, then the 2.8/2.9 additions).
GROUP_ORDER = (
    "onlineSession",
    "batchSession",
    "invoiceSend",
    "invoiceStatus",
    "sessionList",
    "sessionInvoiceList",
    "sessionMisc",
    "invoiceMetadata",
    "invoiceExport",
    "invoiceExportStatus",
    "invoiceDownload",
    "collectiveIdentifier",
    "other",
    "anonymous",
    "global",
    "onlineSessionClose",
    "batchSessionClose",
)


def production_limits() -> dict[str, tuple[int, int, int]]:
    """Group -> (per second, per minute, per hour) as published, plus the §19 superset groups."""
    limits: dict[str, tuple[int, int, int]] = dict(_SUPERSET_DEFAULTS)
    for operation in schema.operations().values():
        if operation.group != "anonymous" and operation.limits != (-1, -1, -1):
            limits.setdefault(operation.group, operation.limits)
    return limits


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0
    detail: str = ""


class RateLimiter:
    def __init__(self) -> None:
        self._hits: dict[tuple[str, str, str], list[float]] = {}
        self.production = production_limits()

    def reset(self) -> None:
        self._hits.clear()

    def limits_for(self, group: str, override: dict[str, list[int]] | None) -> tuple[int, int, int]:
        if override and group in override:
            values = override[group]
            return int(values[0]), int(values[1]), int(values[2])
        return self.production.get(group, (UNLIMITED, UNLIMITED, UNLIMITED))

    def check(
        self,
        *,
        context: str | None,
        client_ip: str,
        group: str,
        operation_key: str,
        limits: tuple[int, int, int],
        now: float | None = None,
    ) -> Verdict:
        """Count the request if it fits all three windows; otherwise say how long to wait."""
        moment = time.monotonic() if now is None else now
        counter = f"{group}:{operation_key}" if group in PER_ENDPOINT_GROUPS else group
        key = (context or "-", client_ip, counter)
        hits = self._hits.setdefault(key, [])
        # Forget what fell out of the longest window; keeps each list at most perHour long.
        cut = bisect_left(hits, moment - WINDOWS[-1])
        if cut:
            del hits[:cut]
        refusal: Verdict | None = None
        for window, limit, name in zip(WINDOWS, limits, WINDOW_NAMES, strict=True):
            if limit < 0:
                continue
            start = bisect_left(hits, moment - window)
            inside = len(hits) - start
            if inside >= limit:
                # The request fits again once enough of the oldest hits in this window have aged out; with several
                # windows full, the longest wait is the one that matters.
                oldest_blocking = hits[start + inside - limit] if limit > 0 else moment
                wait = max(1, math.ceil(oldest_blocking + window - moment))
                if refusal is None or wait > refusal.retry_after:
                    detail = f"Przekroczono limit {limit} żądań na {name}. Spróbuj ponownie po {wait} sekundach."
                    refusal = Verdict(False, wait, detail)
        if refusal is not None:
            return refusal
        hits.append(moment)
        return Verdict(True)
