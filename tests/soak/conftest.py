"""The soak's console: its own data folder and SQLite database, the simulator as a process on this session's port,
real worker processes (`python -m core.jobs.worker`, with the schedule) and a fleet of linked clients.

Scaled for minutes, and said so in every figure: the sync interval is KSEF_SOAK_INTERVAL seconds (production: 15
minutes at least), and each client's KSeF rate limits are raised through the simulator's `/testdata/rate-limits` (the
TEST environment's own knob), because production limits allow a client only ten syncs an hour.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from core import db
from core.ksef.limiter import store_limits
from core.models import Client, ClientCreate, Invoice, Problem, UsageEvent, UserCreate
from core.security import Actor
from core.services.clients.register import insert_client
from core.services.linking.connection import load_facts, open_ksef
from core.services.linking.credentials import insert_token
from core.services.office import create_office
from core.services.users import create_user
from core.settings import reload_settings
from core.types import ProblemStatus, utcnow
from simulator.invoicegen import random_nip
from simulator.ratelimit import GROUP_ORDER, production_limits
from simulator.testing import SimAdmin, SimProcess

OFFICE_NIP = "5265877635"
INTERVAL = int(os.environ.get("KSEF_SOAK_INTERVAL", "60"))  # seconds between a client's syncs
CLIENTS = int(os.environ.get("KSEF_SOAK_CLIENTS", "100"))
PORT = int(os.environ.get("KSEF_CONSOLE_SIM_PORT", "9101"))
RAISED = {"perSecond": 100, "perMinute": 3000, "perHour": 100000}
GROUPS = ("invoiceMetadata", "invoiceDownload", "invoiceExport", "invoiceExportStatus", "other")


def figure(name: str, value: float | int, op: str, goal: float | int, note: str = "") -> bool:
    met = {"<=": value <= goal, ">=": value >= goal, "==": value == goal}[op]
    print(
        f"soak: {name} {value} goal {op} {goal} {'met' if met else 'missed'}{'  # ' + note if note else ''}", flush=True
    )
    return met


@dataclass
class Console:
    sim: SimProcess
    admin: SimAdmin
    data: Path
    actor: Actor | None = None
    nips: dict[int, str] | None = None

    def office(self, count: int = CLIENTS, invoices: int = 3) -> None:
        rng = random.Random(count)
        nips = sorted({random_nip(rng) for _ in range(count * 2)} - {OFFICE_NIP})[:count]
        entries = [{"nip": n, "name": f"Firma {n}", "scenario": "healthy"} for n in nips]
        seeded = self.admin.seed(OFFICE_NIP, "Biuro Soak", entries, invoices)
        tokens = {c["nip"]: c["ksefToken"] for c in seeded["clients"]}
        self.nips = {}
        with db.session_scope(write=True) as session:
            office = create_office(session, name="Biuro Soak", nip=OFFICE_NIP, account_id="BR-SOAK")
            office.schedule = {"backfill_from": (utcnow() - timedelta(days=100)).isoformat()}
            office.sync_interval_minutes = max(1, INTERVAL // 60)
            user = create_user(
                session, office_id=office.id, data=UserCreate(username="soak", role="manager", password="x" * 10)
            )
            for nip in nips:
                client = insert_client(session, office=office, data=ClientCreate(nip=nip, name=f"Firma {nip}"))
                insert_token(session, office_id=office.id, client=client, token=tokens[nip])
                assert client.id is not None
                self.nips[client.id] = nip
            self.actor = Actor(username=user.username, role="manager", office_id=office.id, user_id=user.id)

    def raise_limits(self) -> None:
        """TEST lets a context raise its own limits; the console learns them as from GET /rate-limits."""
        assert self.actor is not None and self.nips is not None
        production = {
            group: dict(zip(("perSecond", "perMinute", "perHour"), values, strict=True))
            for group, values in production_limits().items()
            if group in GROUP_ORDER
        }
        body = {"rateLimits": {**production, **dict.fromkeys(GROUPS, RAISED)}}
        for client_id, nip in self.nips.items():
            facts = load_facts(client_id)
            with open_ksef(facts, self.actor) as call:
                token = call.access_token()
            response = httpx.post(
                f"{self.sim.api_url}/testdata/rate-limits", json=body, headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code < 300, response.text
            store_limits(facts.environment, nip, dict.fromkeys(GROUPS, RAISED))

    def remote(self, nip: str) -> set[str]:
        return set(self.admin.invoices(nip, "Subject1")) | set(self.admin.invoices(nip, "Subject2"))

    def local(self) -> dict[int, set[str]]:
        with db.session_scope() as session:
            rows = session.execute(sa.select(Invoice.client_id, Invoice.ksef_number)).all()
        found: dict[int, set[str]] = {}
        for client_id, number in rows:
            found.setdefault(client_id, set()).add(number)
        return found

    def missing(self) -> int:
        """Invoices the simulator has and the console does not, plus any the console has twice or in excess."""
        assert self.nips is not None
        local = self.local()
        return sum(len(self.remote(nip) ^ local.get(client_id, set())) for client_id, nip in self.nips.items())

    def usage_mismatch(self) -> int:
        """|usage events − invoices| per invoice: each received invoice counted exactly once."""
        with db.session_scope() as session:
            invoices = session.execute(sa.select(sa.func.count()).select_from(Invoice)).scalar_one()
            events = session.execute(sa.select(sa.func.count()).select_from(UsageEvent)).scalar_one()
            distinct = session.execute(sa.select(sa.func.count(sa.distinct(UsageEvent.invoice_id)))).scalar_one()
        return abs(events - invoices) + abs(distinct - invoices)

    def open_problems(self) -> int:
        with db.session_scope() as session:
            return session.execute(sa.select(sa.func.count()).where(Problem.status == ProblemStatus.open)).scalar_one()

    def link_statuses(self) -> dict[str, int]:
        with db.session_scope() as session:
            return dict(
                session.execute(sa.select(Client.link_status, sa.func.count()).group_by(Client.link_status)).all()
            )


class Workers:
    """Worker processes as in production, with the schedule; killed with SIGKILL when a test says so."""

    def __init__(self, log: Path, *, lease_seconds: int = 20) -> None:
        self.log, self.lease_seconds = log, lease_seconds
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "core.jobs.worker", "--concurrency", "16",
                 "--lease-seconds", str(self.lease_seconds)],
                env={**os.environ}, stdout=out, stderr=out,
            )  # fmt: skip

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def wait_until(check: Any, limit: float, every: float = 5.0) -> float | None:
    """Seconds until `check()` held, or None when it did not within `limit`."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if check():
            return time.monotonic() - started
        time.sleep(every)
    return None


@pytest.fixture
def console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Console]:
    with SimProcess(port=PORT) as sim, SimAdmin(sim.url) as admin:
        monkeypatch.setenv("KSEF_CONSOLE_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("KSEF_CONSOLE_DATABASE_URL", f"sqlite:///{tmp_path / 'console.db'}")
        monkeypatch.setenv("KSEF_CONSOLE_SIM_URL", sim.url)
        monkeypatch.setenv("KSEF_CONSOLE_SOAK_SYNC_INTERVAL_SECONDS", str(INTERVAL))
        monkeypatch.setenv("KSEF_CONSOLE_KSEF_TIMEOUT_SECONDS", "5")
        monkeypatch.setenv("KSEF_CONSOLE_LOG_LEVEL", "WARNING")
        monkeypatch.delenv("KSEF_CONSOLE_MASTER_KEY", raising=False)
        reload_settings()
        db.set_engine(None)
        db.upgrade()
        admin.settings(timeoutSeconds=8)  # a "timeout" outlives the console's 5 s timeout
        yield Console(sim, admin, tmp_path)
        db.set_engine(None)
