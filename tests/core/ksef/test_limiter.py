"""The rate limiter is shared through the database: two worker processes stay under one context's limit together."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import sqlalchemy as sa

from core import db
from core.ksef.gateway import KsefGateway
from core.ksef.limiter import RateLimiter, store_limits
from core.models import RateSlot
from core.services.linking import credentials, links
from core.services.linking.connection import load_facts, open_ksef
from core.services.linking.links import LinkRequest
from core.types import AuthMethod
from tests.simulated import seed_clients

LIMIT = {"perSecond": 4, "perMinute": 1000, "perHour": 10000}
# The groups SetRateLimitsRequest requires in the official 2.7 contract.
GROUPS_2_7 = ("onlineSession", "batchSession", "invoiceSend", "invoiceStatus", "sessionList", "sessionInvoiceList",
              "sessionMisc", "invoiceMetadata", "invoiceExport", "invoiceExportStatus", "invoiceDownload",
              "collectiveIdentifier", "other")  # fmt: skip
WORKER = textwrap.dedent(
    """
    import sys
    from core.security import Actor
    from core.services.linking.connection import load_facts, open_ksef
    facts = load_facts(int(sys.argv[1]))
    filters = {"subjectType": "Subject1",
               "dateRange": {"dateType": "PermanentStorage", "from": "2026-11-01T00:00:00+00:00",
                             "restrictToPermanentStorageHwmDate": True}}
    with open_ksef(facts, Actor.system("worker", facts.office_id)) as call:
        for _ in range(int(sys.argv[2])):
            call.run(lambda access: call.gateway.query_metadata(access, filters, page_size=10))
    """
)


def test_two_worker_processes_share_one_context_limit(sim, office, sqlite_db):
    seeded = seed_clients(sim, office, ["healthy"])
    client_id, nip = seeded.ids["healthy"], seeded.nips["healthy"]
    credentials.add_ksef_token(actor=office.support, client_id=client_id, token=seeded.token("healthy"))
    assert links.connect_client(
        actor=office.support, client_id=client_id, request=LinkRequest(AuthMethod.ksef_token)
    ).ok
    # KSeF (the simulator) and the console agree on 4 metadata queries a second for this context.
    with open_ksef(load_facts(client_id), office.support) as call:
        current = call.run(call.gateway.rate_limits)
        override = {group: current[group] for group in GROUPS_2_7} | {"invoiceMetadata": LIMIT}
        call.run(lambda access: call.gateway.client.http_client.request(
            "POST", "/testdata/rate-limits", json={"rateLimits": override}, access_token=access,
        ))  # fmt: skip
    store_limits("SIM", nip, {"invoiceMetadata": LIMIT})
    sim.reset_stats()

    env = {**os.environ}
    started = time.monotonic()
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(client_id), "10"], env=env) for _ in range(2)]
    assert [w.wait(timeout=120) for w in workers] == [0, 0]
    elapsed = time.monotonic() - started

    stats = sim.stats()
    group = stats["byContext"][nip]["byGroup"]["invoiceMetadata"]
    assert group == {"requests": 20, "tooManyRequests": 0}
    assert elapsed >= (20 - LIMIT["perSecond"]) / LIMIT["perSecond"]  # 20 queries at 4/s cannot go faster
    with db.session_scope() as session:
        stamps = sorted(
            session.execute(
                sa.select(RateSlot.at).where(RateSlot.context_nip == nip, RateSlot.group == "invoiceMetadata")
            ).scalars()
        )
    assert len(stamps) == 20
    assert all((stamps[i + 4] - stamps[i]).total_seconds() >= 1.0 for i in range(len(stamps) - 4))


def test_a_limiter_key_is_per_context_and_group(sqlite_db):
    limiter = RateLimiter()
    store_limits("SIM", "1111111111", {"invoiceMetadata": {"perSecond": 1, "perMinute": 10, "perHour": 10}})
    assert limiter.try_acquire("SIM", "1111111111", "invoiceMetadata") == 0
    assert limiter.try_acquire("SIM", "1111111111", "invoiceMetadata") > 0  # same key: wait
    assert limiter.try_acquire("SIM", "2222222222", "invoiceMetadata") == 0  # another context: its own budget
    assert limiter.try_acquire("SIM", "1111111111", "invoiceDownload") == 0  # another group: its own budget
    assert limiter.try_acquire("TEST", "1111111111", "invoiceMetadata") == 0  # another environment too


def test_public_key_rotation_is_followed(sim, office):
    seeded = seed_clients(sim, office, ["healthy"])
    with KsefGateway("SIM", seeded.nips["healthy"]) as gateway:
        gateway.public_key_certificates(refresh=True)
    sim.rotate_keys()
    client_id = seeded.ids["healthy"]
    credentials.add_ksef_token(actor=office.support, client_id=client_id, token=seeded.token("healthy"))
    # The cached key is stale now; 21470 makes the gateway fetch the new one and try again.
    assert links.connect_client(
        actor=office.support, client_id=client_id, request=LinkRequest(AuthMethod.ksef_token)
    ).ok
