"""Simulator benchmark (`make bench`): 50 concurrent connections across 300 client contexts.

Typical console calls per context, kept inside KSeF's production rate limits so nothing is refused: a KSeF-token
authentication (challenge, ksef-token, status, redeem), metadata queries and invoice downloads. The simulator's own
time per request comes from its `Server-Timing: sim;dur=<ms>` header (admission to response, without network or
injected latency). Prints p50/p95 and the ratio of p95 to the 20 ms bound; asserts nothing about time.
"""

from __future__ import annotations

import asyncio
import base64
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from simulator.invoicegen import random_nip
from simulator.testing import SimAdmin, SimProcess
from tests.bench.report import bench

CONTEXTS = 300
CONNECTIONS = 50
METADATA_QUERIES = 6  # per context; invoiceMetadata allows 8/s, 16/min, 20/h
DOWNLOADS = 8  # per context; invoiceDownload allows 8/s, 16/min, 64/h
BOUND_MS = 20.0
OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


class Recorder:
    def __init__(self) -> None:
        self.own_ms: dict[str, list[float]] = {}
        self.wall_ms: list[float] = []
        self.statuses: dict[str, int] = {}

    async def call(self, client: httpx.AsyncClient, kind: str, method: str, url: str, **kwargs) -> httpx.Response:
        started = time.perf_counter()
        response = await client.request(method, url, **kwargs)
        self.wall_ms.append((time.perf_counter() - started) * 1000)
        key = f"{kind}:{response.status_code}"
        self.statuses[key] = self.statuses.get(key, 0) + 1
        timing = response.headers.get("server-timing", "")
        if "dur=" in timing:
            self.own_ms.setdefault(kind, []).append(float(timing.split("dur=")[1]))
        return response


def _pct(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


class Pace:
    """Client-side pacing of unauthenticated calls: KSeF allows 60 per second per IP, as a console would respect."""

    def __init__(self, per_second: float) -> None:
        self.interval, self.next = 1.0 / per_second, 0.0
        self.lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self.lock:
            now = time.monotonic()
            self.next = max(self.next, now)
            delay, self.next = self.next - now, self.next + self.interval
        if delay > 0:
            await asyncio.sleep(delay)


async def _one_context(
    client: httpx.AsyncClient,
    rec: Recorder,
    nip: str,
    token: str,
    key: x509.Certificate,
    slots: asyncio.Semaphore,
    pace: Pace,
) -> None:
    async with slots:
        await pace.wait()
        challenge = (await rec.call(client, "auth", "POST", "/v2/auth/challenge")).json()
        secret = key.public_key().encrypt(f"{token}|{challenge['timestampMs']}".encode(), OAEP)
        init = (
            await rec.call(
                client,
                "auth",
                "POST",
                "/v2/auth/ksef-token",
                json={
                    "challenge": challenge["challenge"],
                    "contextIdentifier": {"type": "Nip", "value": nip},
                    "encryptedToken": base64.b64encode(secret).decode(),
                },
            )
        ).json()
        temporary = {"Authorization": f"Bearer {init['authenticationToken']['token']}"}
        await rec.call(client, "auth", "GET", f"/v2/auth/{init['referenceNumber']}", headers=temporary)
        tokens = (await rec.call(client, "auth", "POST", "/v2/auth/token/redeem", headers=temporary)).json()
        bearer = {"Authorization": f"Bearer {tokens['accessToken']['token']}"}
        numbers: list[str] = []
        start = (datetime.now(UTC) - timedelta(days=85)).isoformat()
        for query in range(METADATA_QUERIES):
            body = {
                "subjectType": "Subject1" if query % 2 == 0 else "Subject2",
                "dateRange": {"dateType": "PermanentStorage", "from": start},
            }
            page = (
                await rec.call(
                    client,
                    "metadata",
                    "POST",
                    "/v2/invoices/query/metadata",
                    json=body,
                    headers=bearer,
                    params={"pageSize": 100},
                )
            ).json()
            numbers += [item["ksefNumber"] for item in page.get("invoices", [])]
        for number in numbers[:DOWNLOADS]:
            await rec.call(client, "download", "GET", f"/v2/invoices/ksef/{number}", headers=bearer)


async def _run(url: str, clients: list[dict]) -> tuple[Recorder, float]:
    rec = Recorder()
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        keys = (await client.get("/v2/security/public-key-certificates")).json()
        der = next(k["certificate"] for k in keys if "KsefTokenEncryption" in k["usage"])
        key = x509.load_der_x509_certificate(base64.b64decode(der))
        slots = asyncio.Semaphore(CONNECTIONS)
        started = time.perf_counter()
        pace = Pace(50)
        await asyncio.gather(*(_one_context(client, rec, c["nip"], c["ksefToken"], key, slots, pace) for c in clients))
        return rec, time.perf_counter() - started


def test_simulator_own_time_under_concurrency():
    rnd = random.Random(7)
    nips = sorted({random_nip(rnd) for _ in range(CONTEXTS * 2)})[:CONTEXTS]
    with SimProcess() as sim, SimAdmin(sim.url) as admin:
        seeded = admin.seed(
            "3692854322",
            "Biuro Benchmark",
            [{"nip": nip, "name": f"Klient {index}", "scenario": "healthy"} for index, nip in enumerate(nips)],
            invoices_per_client=20,
        )
        admin.reset_stats()
        rec, elapsed = asyncio.run(_run(sim.url, seeded["clients"]))
        server = admin.stats()
    own = [value for values in rec.own_ms.values() for value in values]
    p50, p95 = _pct(own, 0.50), _pct(own, 0.95)
    print(
        f"\nsimulator bench: {len(rec.wall_ms)} requests, {CONTEXTS} contexts, {CONNECTIONS} connections, "
        f"{elapsed:.1f} s wall, {len(rec.wall_ms) / elapsed:.0f} req/s, statuses {rec.statuses}"
    )
    for kind, values in sorted(rec.own_ms.items()):
        print(
            f"  own time {kind:9s} n={len(values):5d} p50={_pct(values, 0.5):6.2f} ms p95={_pct(values, 0.95):6.2f} ms"
            f" mean={statistics.fmean(values):6.2f} ms"
        )
    print(
        f"  own time all       n={len(own):5d} p50={p50:6.2f} ms p95={p95:6.2f} ms -> p95 / {BOUND_MS:.0f} ms bound"
        f" = {p95 / BOUND_MS:.2f}"
    )
    print(f"  client-observed    p50={_pct(rec.wall_ms, 0.5):6.2f} ms p95={_pct(rec.wall_ms, 0.95):6.2f} ms")
    print(f"  server stats: requests={server['requests']} 429s={server['tooManyRequests']} ownTime={server['ownTime']}")
    bench("simulator_own_time_p95_over_bound", p95 / BOUND_MS, "ratio", "<=", 1)
    refused = {key: count for key, count in rec.statuses.items() if key.endswith((":429", ":500"))}
    assert not refused  # correctness (the load stays inside production limits), not timing
