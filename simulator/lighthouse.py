"""Latarnia-style status at the server root (`GET /status`, `GET /messages`), following the unavailability fault.

The SDK's lighthouse client calls `{base}/status` and `{base}/messages`; shapes follow PROTOCOL.md §1.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from simulator.api import json_response
from simulator.runtime import Simulator
from simulator.timeutil import iso

_TITLES = {"MAINTENANCE": "Prace serwisowe symulatora KSeF", "FAILURE": "Niedostępność symulatora KSeF"}


def _messages(sim: Simulator) -> list[dict[str, Any]]:
    fault = sim.state.faults.get("global")
    now = sim.now()
    if fault is None or fault.unavailable_until is None or fault.unavailable_until <= now:
        return []
    kind = fault.unavailable_kind
    return [
        {
            "id": f"sim-{int(fault.unavailable_until.timestamp())}",
            "eventId": int(fault.unavailable_until.timestamp()),
            "category": kind,
            "type": "MAINTENANCE_ANNOUNCEMENT" if kind == "MAINTENANCE" else "FAILURE_START",
            "title": _TITLES.get(kind, _TITLES["FAILURE"]),
            "text": f"Usługa niedostępna do {iso(fault.unavailable_until)} (symulowana awaria).",
            "start": iso(now),
            "end": iso(fault.unavailable_until),
            "version": 1,
            "published": iso(now),
        }
    ]


async def status(request: Request) -> Response:
    messages = _messages(request.app.state.sim)
    return json_response({"status": messages[0]["category"] if messages else "AVAILABLE", "messages": messages})


async def messages(request: Request) -> Response:
    return json_response(_messages(request.app.state.sim))
