"""Batch sessions (PROTOCOL.md §6): the package built with the SDK's batch helpers, parts uploaded concurrently to
their pre-signed URLs by our own storage client (the SDK refuses loopback hosts; ours checks the allow-list), close,
status, the per-invoice results and their UPOs.

Part uploads and UPO downloads go to storage, which KSeF does not rate limit; only open and close (`batchSession`),
the status (`sessionMisc`) and the invoice list (`sessionInvoiceList`) pass the limiter — a handful of requests for
a whole package instead of one `invoiceSend` per invoice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ksef_client.services.batch import encrypt_batch_parts
from ksef_client.utils.zip_utils import MAX_BATCH_PART_SIZE_BYTES, build_zip

from core.ksef.errors import KsefFailure
from core.ksef.gateway import KsefGateway
from core.ksef.invoices import FA3_FORM_CODE, _encryption, _info, _json
from core.texts import Text
from core.types import ProblemClass

UPLOAD_CONCURRENCY = 8  # parallel part PUTs; storage is not rate limited
DOWNLOAD_CONCURRENCY = 32  # parallel UPO downloads (small documents, one per accepted invoice; not rate limited)
SESSION_POLL_TIMEOUT_SECONDS = 600.0
LIST_PAGE_SIZE = 1000  # the largest page `GET /sessions/{ref}/invoices` gives
PROCESSING = (100, 150)  # after close: started / processing


@dataclass
class OpenedBatch:
    reference: str
    upload_requests: list[dict[str, Any]]
    parts: list[bytes] = field(repr=False)


def package(files: dict[str, bytes]) -> bytes:
    """The ZIP of the invoices (file name -> XML), built by the SDK (deterministic entries, safe names)."""
    return build_zip(files)


def open_batch_session(
    gateway: KsefGateway, access_token: str, archive: bytes, *, max_part_size: int = MAX_BATCH_PART_SIZE_BYTES
) -> OpenedBatch:
    """Encrypt the archive's parts with a fresh key and declare them; KSeF answers one upload URL per part."""

    def start() -> OpenedBatch:
        encryption = _encryption(gateway)
        parts, info = encrypt_batch_parts(archive, encryption.key, encryption.iv, max_part_size=max_part_size)
        body = {"formCode": FA3_FORM_CODE, "batchFile": info.to_dict(), "encryption": _info(encryption)}
        opened = _json(gateway, "POST", "/sessions/batch", access_token, json=body, expected_status={201})
        return OpenedBatch(opened["referenceNumber"], list(opened["partUploadRequests"]), parts)

    return gateway.with_fresh_keys(start)


def upload_parts(gateway: KsefGateway, batch: OpenedBatch, concurrency: int = UPLOAD_CONCURRENCY) -> None:
    """Every part to its URL with exactly the given method and headers, several at once."""

    def put(request: dict[str, Any]) -> None:
        content = batch.parts[int(request["ordinalNumber"]) - 1]
        gateway.upload_presigned(request["method"], request["url"], request.get("headers") or {}, content)

    _concurrently(put, batch.upload_requests, concurrency)


def close_batch_session(gateway: KsefGateway, access_token: str, reference: str) -> None:
    gateway.call(
        lambda: gateway.client.http_client.request(
            "POST", f"/sessions/batch/{reference}/close", access_token=access_token, expected_status={204}
        )
    )


def session_status(gateway: KsefGateway, access_token: str, reference: str) -> dict[str, Any]:
    return _json(gateway, "GET", f"/sessions/{reference}", access_token)


def wait_for_session(gateway: KsefGateway, access_token: str, reference: str) -> dict[str, Any]:
    """Poll a closed batch session until KSeF has processed the package."""
    deadline = time.monotonic() + SESSION_POLL_TIMEOUT_SECONDS
    delay = 0.2
    while True:
        status = session_status(gateway, access_token, reference)
        if (status.get("status") or {}).get("code") not in PROCESSING:
            return status
        if time.monotonic() > deadline:
            raise KsefFailure(ProblemClass.ksef_unavailable, Text("ksef.invoice_status_timeout"))
        time.sleep(delay)
        delay = min(delay * 2, 2.0)


def session_invoices(gateway: KsefGateway, access_token: str, reference: str) -> list[dict[str, Any]]:
    """Every invoice of the session with its status (paged by continuation token)."""
    invoices: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        headers = {"x-continuation-token": token} if token else None
        page = _json(
            gateway, "GET", f"/sessions/{reference}/invoices", access_token,
            params={"pageSize": LIST_PAGE_SIZE}, headers=headers,
        )  # fmt: skip
        invoices.extend(page.get("invoices") or [])
        token = page.get("continuationToken")
        if not token:
            return invoices


def download_upos(gateway: KsefGateway, urls: list[str], concurrency: int = DOWNLOAD_CONCURRENCY) -> list[bytes]:
    """Invoice UPOs from their pre-signed URLs (no token, not rate limited), in the order given."""
    results: list[bytes] = [b""] * len(urls)

    def fetch(index: int) -> None:
        results[index] = gateway.fetch_presigned(urls[index])

    _concurrently(fetch, list(range(len(urls))), concurrency)
    return results


def _concurrently(function: Callable[[Any], None], items: list[Any], concurrency: int) -> None:
    if len(items) <= 1 or concurrency <= 1:
        for item in items:
            function(item)
        return
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for future in [pool.submit(function, item) for item in items]:
            future.result()  # the first failure is raised; the rest finish or fail on their own
