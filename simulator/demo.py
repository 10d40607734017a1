"""The demo office from the committed `data/demo/office.json` (read only, never changed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from simulator.runtime import Simulator
from simulator.seed import Seeding, prepare

DEMO_FILE = Path(__file__).resolve().parent.parent / "data" / "demo" / "office.json"
# Demo KSeF tokens are derived from this constant, so they are the same on every start, with or without --state.
DEMO_TOKEN_SEED = b"ksef-office-console-demo"


def load_demo(path: Path = DEMO_FILE) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def prepare_demo(sim: Simulator, path: Path = DEMO_FILE) -> Seeding:
    """The demo office seeded, its invoices pending (see `Seeding`)."""
    office = load_demo(path)
    body = {
        "officeNip": office["nip"],
        "officeName": office["name"],
        "clients": [{"nip": c["nip"], "name": c["name"], "scenario": c["scenario"]} for c in office["clients"]],
    }
    seeding = prepare(sim, body, token_seed=DEMO_TOKEN_SEED)
    seeding.result["office"]["accountId"] = office.get("accountId")
    return seeding


def seed_demo(sim: Simulator, path: Path = DEMO_FILE) -> dict[str, Any]:
    """Seed the demo office at once, blocking (start-up)."""
    return prepare_demo(sim, path).finish(sim)


def healthy_client(result: dict[str, Any]) -> dict[str, Any] | None:
    """The first healthy client with a token, for the start-up banner."""
    return next((c for c in result["clients"] if c["scenario"] == "healthy" and c["ksefToken"]), None)
