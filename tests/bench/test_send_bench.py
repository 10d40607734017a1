"""Month-end sending benchmark (`make bench`): 5,000 invoices of one client through batch sessions.

The floor is measured in the same run against the same simulator (50 ms latency): a bare async httpx client sends a
package of the same shape — 5,000 other invoices of the same sizes, zipped and encrypted with the SDK's helpers
before the clock starts — through the same protocol: open, upload the parts, close, wait for KSeF to process them,
read the results and download every invoice's UPO at the console's concurrency. (Its own invoices, because KSeF
would answer a second copy of the console's as duplicates, which costs it less.) The pure part upload is printed
too. The console's figure is the sending job's body (`send_batch`: package, upload, results, UPOs, the database);
the offline check when files are queued is printed beside it. The online-session estimate is what KSeF's
`invoiceSend` limit of 180 an hour per context allows.
"""

from __future__ import annotations

import asyncio
import os
import time

import httpx
import pytest
from ksef_client.services.batch import encrypt_batch_parts
from ksef_client.services.crypto import build_encryption_data
from ksef_client.utils.zip_utils import build_zip

from core.ksef import batch as ksef_batch
from core.services import sending
from core.services.linking.links import LinkRequest, connect_client
from core.types import AuthMethod, InvoiceStatus
from tests.bench import test_fleet_bench as fleet
from tests.bench.report import bench
from tests.bench.test_fleet_bench import _nips, _office_with_clients
from tests.core.services.test_invoices import _invoice

INVOICES = int(os.environ.get("KSEF_BENCH_SEND_INVOICES", "5000"))
ONLINE_PER_HOUR = 180  # invoiceSend, per context (PROTOCOL.md §12.1)
console = fleet.console  # the fixture: a simulator process and a fresh SQLite console


def _files(nip: str, prefix: str) -> list[tuple[str, bytes]]:
    return [(f"{prefix}{n:05}.xml", _invoice(nip, f"{prefix}/2026/11/{n:05}")) for n in range(INVOICES)]


async def _bare_send(base_url: str, token: str, files: dict[str, bytes], certificate: str) -> dict[str, float]:
    """The protocol's floor for one package: seconds for the whole run and for each phase (open, part upload, close and
    KSeF's processing until the final status, the results list, the UPO downloads)."""
    encryption = build_encryption_data(certificate)
    archive = build_zip(files)
    parts, info = encrypt_batch_parts(archive, encryption.key, encryption.iv)
    info_body = encryption.encryption_info
    assert info_body is not None
    body = {
        "formCode": {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"},
        "batchFile": info.to_dict(),
        "encryption": {
            "encryptedSymmetricKey": info_body.encrypted_symmetric_key,
            "initializationVector": info_body.initialization_vector,
        },
    }
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base_url, timeout=600, limits=limits, trust_env=False) as client:
        phases: dict[str, float] = {}
        clock = started = time.perf_counter()

        def phase(name: str) -> None:
            nonlocal clock
            phases[name], clock = time.perf_counter() - clock, time.perf_counter()

        opened = (await client.post("/v2/sessions/batch", json=body, headers=headers)).json()
        phase("open")
        await asyncio.gather(*(
            client.request(r["method"], r["url"], headers=r["headers"], content=parts[r["ordinalNumber"] - 1])
            for r in opened["partUploadRequests"]
        ))  # fmt: skip
        phase("upload")
        reference = opened["referenceNumber"]
        (await client.post(f"/v2/sessions/batch/{reference}/close", headers=headers)).raise_for_status()
        while (await client.get(f"/v2/sessions/{reference}", headers=headers)).json()["status"]["code"] in (100, 150):
            await asyncio.sleep(0.2)
        phase("processing")
        items, continuation = [], None
        while True:
            page_headers = {**headers, **({"x-continuation-token": continuation} if continuation else {})}
            page = (await client.get(f"/v2/sessions/{reference}/invoices", params={"pageSize": 1000},
                                     headers=page_headers)).json()  # fmt: skip
            items += page["invoices"]
            continuation = page.get("continuationToken")
            if not continuation:
                break
        phase("results")
        gate = asyncio.Semaphore(ksef_batch.DOWNLOAD_CONCURRENCY)

        async def upo(url: str) -> None:
            async with gate:
                try:
                    response = await client.get(url)
                except httpx.RemoteProtocolError:  # a pooled connection the server closed while it was idle
                    response = await client.get(url)
                response.raise_for_status()

        await asyncio.gather(*(upo(item["upoDownloadUrl"]) for item in items if item["status"]["code"] == 200))
        phase("upos")
        phases["whole"] = time.perf_counter() - started
        return phases


@pytest.mark.timeout(3600)
def test_month_end_send_of_five_thousand_invoices(console):
    sim, admin = console
    actor, ids = _office_with_clients(admin, 1)
    client_id = ids[0]
    nip = _nips(ids)[client_id]
    assert connect_client(actor=actor, client_id=client_id, request=LinkRequest(AuthMethod.ksef_token)).ok
    admin.settings(permanentStorageLagSeconds=0)
    admin.set_faults(latencyMs=50)

    # The floor, with a token of the same client (taken from the console's own session cache).
    from core.ksef.gateway import KsefGateway
    from core.services.linking.connection import load_facts, open_ksef

    with open_ksef(load_facts(client_id), actor) as call:
        token = call.access_token()
    with KsefGateway("SIM", nip) as gateway:
        certificate, _key_id = gateway.public_key("SymmetricKeyEncryption")
    # Warm-up, not measured: the simulator's first package pays its one-off costs (schemas, keys).
    asyncio.run(_bare_send(sim.url, token, dict(_files(nip, "WARM")[:5]), certificate))
    bare_files = dict(_files(nip, "BARE"))
    bare = asyncio.run(_bare_send(sim.url, token, bare_files, certificate))
    floor, upload = bare["whole"], bare["upload"]

    started = time.monotonic()
    queued = sending.queue_invoices(actor=actor, client_id=client_id, files=_files(nip, "FV"))
    checked = time.monotonic() - started
    assert not queued.rejected
    started = time.monotonic()
    result = sending.send_batch(actor=actor, client_id=client_id, invoice_ids=queued.invoice_ids)
    wall = time.monotonic() - started
    accepted = len(result.with_status(InvoiceStatus.accepted))
    online_hours = INVOICES / ONLINE_PER_HOUR
    size = sum(len(data) for data in bare_files.values())
    bench(
        f"send_{INVOICES}_invoices_wall_over_bare", wall / floor, "ratio", "<=", 2,
        f"\n[send] {INVOICES} invoices ({size / 1e6:.1f} MB of XML) for one client in batch sessions: {wall:.1f} s "
        f"({accepted} accepted; the offline check when queued took {checked:.1f} s more), against {floor:.1f} s for "
        f"a bare client sending a package of the same shape through the same protocol (its part upload alone "
        f"{upload:.2f} s). Online sessions would need about {online_hours:.0f} h at {ONLINE_PER_HOUR} invoices an "
        f"hour per context ({online_hours * 3600 / wall:.0f}× longer).",
    )  # fmt: skip
    bench(
        f"send_{INVOICES}_invoices_wall_over_part_upload", wall / upload, "ratio", "<=", 2,
        f"[send] The literal bound, the bare upload of the parts alone ({upload:.2f} s), leaves out what no client "
        f"can skip, as the bare client's own phases show: open {bare['open']:.2f} s, upload {upload:.2f} s, close and "
        f"KSeF judging {INVOICES} invoices {bare['processing']:.2f} s, the results list {bare['results']:.2f} s, one "
        f"UPO download per invoice {bare['upos']:.2f} s.",
    )  # fmt: skip
    bench(f"send_{INVOICES}_invoices_accepted", accepted, "invoices", "==", INVOICES)
