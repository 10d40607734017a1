"""Request statistics for `/_sim/stats`: counts and 429s per context and group, and the simulator's own time.

"Own time" is measured from the moment the request is admitted (after injected latency) to the moment the response is
ready, so benchmarks see what the simulator itself costs.
"""

from __future__ import annotations

from collections import defaultdict, deque
from typing import Any

_TIMING_SAMPLES = 200_000


def _counter() -> dict[str, int]:
    return {"requests": 0, "tooManyRequests": 0}


class Stats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.total = _counter()
        self.by_group: dict[str, dict[str, int]] = defaultdict(_counter)
        self.by_context: dict[str, dict[str, Any]] = {}
        self.status_counts: dict[int, int] = defaultdict(int)
        self.timings_ms: deque[float] = deque(maxlen=_TIMING_SAMPLES)

    def record(self, context: str | None, group: str, status: int, own_ms: float | None) -> None:
        limited = 1 if status == 429 else 0
        for counter in (
            self.total,
            self.by_group[group],
            self._context(context)["total"],
            self._context(context)["byGroup"].setdefault(group, _counter()),
        ):
            counter["requests"] += 1
            counter["tooManyRequests"] += limited
        self.status_counts[status] += 1
        if own_ms is not None:
            self.timings_ms.append(own_ms)

    def _context(self, context: str | None) -> dict[str, Any]:
        key = context or "-"
        if key not in self.by_context:
            self.by_context[key] = {"total": _counter(), "byGroup": {}}
        return self.by_context[key]

    def timing_summary(self) -> dict[str, Any]:
        samples = sorted(self.timings_ms)
        if not samples:
            return {"count": 0}

        def pct(p: float) -> float:
            return round(samples[min(len(samples) - 1, int(p * len(samples)))], 3)

        return {
            "count": len(samples),
            "p50Ms": pct(0.50),
            "p95Ms": pct(0.95),
            "p99Ms": pct(0.99),
            "maxMs": round(samples[-1], 3),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.total["requests"],
            "tooManyRequests": self.total["tooManyRequests"],
            "byGroup": dict(self.by_group),
            "byContext": {nip: {**data["total"], "byGroup": data["byGroup"]} for nip, data in self.by_context.items()},
            "byStatus": {str(code): count for code, count in sorted(self.status_counts.items())},
            "ownTime": self.timing_summary(),
        }
