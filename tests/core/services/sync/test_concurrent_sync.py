"""At most one sync per client runs at a time, and storing an already-known invoice is not an error (issue 10 #6):
syncs of one client racing on PostgreSQL end without an integrity error, every invoice stored and counted once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import db
from core.jobs import schedules
from core.models import Invoice, Office, UsageEvent
from core.services.sync import engine, store
from core.services.sync.request import request_sync
from core.types import SubjectType, utcnow
from tests.conftest import make_office
from tests.linking import link_with_token
from tests.simulated import seed_clients

pytestmark = pytest.mark.postgres


def _counts(client_id: int) -> tuple[int, int]:
    with db.session_scope() as session:
        invoices = session.execute(sa.select(sa.func.count()).where(Invoice.client_id == client_id)).scalar_one()
        usage = session.execute(sa.select(sa.func.count()).where(UsageEvent.client_id == client_id)).scalar_one()
    return invoices, usage


def test_an_invoice_a_concurrent_sync_stored_first_is_skipped_not_an_error(postgres_db, monkeypatch):
    office = make_office()
    from tests import seeding

    client_id = seeding.add_clients(office, 1, seed=5)[0]
    meta = {"ksefNumber": "5265877635-20260301-0100000000AB-01", "permanentStorageDate": "2026-03-01T10:00:00Z"}
    inserted, release = threading.Event(), threading.Event()
    advance = store._advance_hwm

    def slow_first(connection, *args):  # the first writer holds its uncommitted rows until the second waits on them
        if threading.current_thread().name == "first":
            inserted.set()
            release.wait(10)
        return advance(connection, *args)

    monkeypatch.setattr(store, "_advance_hwm", slow_first)
    items = [(meta, b"<Faktura/>")]

    def run() -> int:
        return store.store_received(
            office_id=office.office_id, client_id=client_id, subject_type=SubjectType.Subject2, items=items,
            new_hwm=utcnow(),
        )  # fmt: skip

    results: dict[str, int] = {}
    first = threading.Thread(target=lambda: results.update(first=run()), name="first")
    second = threading.Thread(target=lambda: results.update(second=run()), name="second")
    first.start()
    assert inserted.wait(10)
    second.start()
    time.sleep(0.5)  # the second insert now waits on the first one's row lock
    release.set()
    first.join(10)
    second.join(10)
    assert results == {"first": 1, "second": 0}
    assert _counts(client_id) == (1, 1)


def test_syncs_of_one_client_racing_store_every_invoice_once(postgres_db, sim):
    office = make_office()
    seeded = seed_clients(sim, office, ["healthy"])
    link_with_token(seeded, "healthy")
    client_id, nip = seeded.ids["healthy"], seeded.nips["healthy"]
    with db.session_scope(write=True) as session:  # one window per subject type: inside the hourly query budget
        office_row = session.get(Office, office.office_id)
        office_row.schedule = {
            **(office_row.schedule or {}),
            "backfill_from": (utcnow() - timedelta(days=60)).isoformat(),
        }
        session.add(office_row)
    with ThreadPoolExecutor(3) as pool:  # the seeded invoices, few enough to be downloaded one by one
        reports = list(pool.map(lambda _: engine.sync_client(actor=office.support, client_id=client_id), range(3)))
    assert all(r.ok for r in reports)
    remote = len(sim.invoices(nip))
    assert remote > 0
    assert _counts(client_id) == (remote, remote)


def test_one_sync_job_per_client_however_often_it_is_asked_for(postgres_db, sim):
    office = make_office()
    seeded = seed_clients(sim, office, ["healthy"])
    link_with_token(seeded, "healthy")
    client_id = seeded.ids["healthy"]
    with ThreadPoolExecutor(8) as pool:
        asked = list(pool.map(lambda _: request_sync(actor=office.support, client_id=client_id)[0], range(8)))
    schedules.enqueue_due_syncs()  # the schedule's own slot while a click's job is pending: still that one
    assert len(set(asked)) == 1
    with db.session_scope() as session:
        jobs = session.execute(sa.text("SELECT count(*) FROM job_run WHERE kind = 'sync'")).scalar_one()
    assert jobs == 1
