"""The KSeF gateway end to end over an httpx.MockTransport (its `transport=` seam): the SDK, our transport with the
limiter and the transcript, and the classification, for answers a real simulator would add nothing to."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from core.ksef.errors import KsefFailure
from core.ksef.gateway import KsefGateway
from core.ksef.limiter import RateLimiter
from core.types import ProblemClass

NIP = "5265877635"
FILTERS = {"subjectType": "Subject2", "dateRange": {"dateType": "PermanentStorage", "from": "2026-02-01T00:00:00Z"}}


def gateway(handler: Callable[[httpx.Request], httpx.Response]) -> KsefGateway:
    return KsefGateway("SIM", NIP, transport=httpx.MockTransport(handler))


def query(handler: Callable[[httpx.Request], httpx.Response]) -> tuple[KsefFailure, KsefGateway]:
    with gateway(handler) as ksef, pytest.raises(KsefFailure) as raised:
        ksef.query_metadata("access-token", FILTERS)
    return raised.value, ksef


def test_an_answer_comes_from_the_transport_given(sqlite_db):
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"hasMore": False, "isTruncated": False, "invoices": []})

    with gateway(answer) as ksef:
        assert ksef.query_metadata("access-token", FILTERS)["invoices"] == []
    assert [(r.method, r.url.path) for r in seen] == [("POST", "/v2/invoices/query/metadata")]
    assert seen[0].headers["authorization"] == "Bearer access-token"
    assert [entry["status"] for entry in ksef.transcript.entries] == [200]


def test_a_503_is_ksef_unavailable_and_keeps_its_retry_after(sqlite_db):
    failure, ksef = query(
        lambda request: httpx.Response(503, headers={"Retry-After": "30"}, text="Service Unavailable")
    )
    assert (failure.problem_class, failure.http_status, failure.retry_after) == (ProblemClass.ksef_unavailable, 503, 30)
    assert failure.retryable
    assert [entry["status"] for entry in ksef.transcript.entries] == [503]


def test_a_dropped_connection_is_a_network_failure(sqlite_db):
    def drop(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)

    failure, ksef = query(drop)
    assert failure.problem_class is ProblemClass.network
    assert failure.details == {"kind": "dropped", "error": "RemoteProtocolError"}
    [entry] = ksef.transcript.entries
    assert (entry["status"], entry["error"]) == (None, "RemoteProtocolError")


def test_a_429_asking_for_a_long_wait_blocks_the_context_for_every_worker(sqlite_db):
    """Not retried in place (the wait is too long for that); the block lands in the shared limiter."""
    calls: list[httpx.Request] = []

    def limited(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(429, headers={"Retry-After": "90"}, json={"status": {"code": 429}})

    failure, _ = query(limited)
    assert (failure.problem_class, failure.retry_after) == (ProblemClass.rate_limited, 90)
    assert len(calls) == 1
    assert RateLimiter().try_acquire("SIM", NIP, "invoiceMetadata") > 80


def test_a_batch_part_goes_only_to_an_allowed_host_with_its_headers_and_no_token(sqlite_db):
    from core.ksef import environments

    seen: list[httpx.Request] = []

    def storage(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201 if "good" in request.url.path else 403)

    allowed = environments.host_url("SIM").rsplit("/v2", 1)[0]
    with gateway(storage) as ksef:
        with pytest.raises(KsefFailure) as foreign:
            ksef.upload_presigned("PUT", "https://storage.example/part/1?sig=x", {}, b"part")
        assert foreign.value.problem_class == ProblemClass.internal and seen == []
        ksef.upload_presigned("PUT", f"{allowed}/storage/batch/good/1?sig=x", {"x-ms-blob-type": "BlockBlob"}, b"p")
        with pytest.raises(KsefFailure):
            ksef.upload_presigned("PUT", f"{allowed}/storage/batch/expired/1?sig=x", {}, b"p")
    assert (seen[0].method, seen[0].content, seen[0].headers["x-ms-blob-type"]) == ("PUT", b"p", "BlockBlob")
    assert "authorization" not in seen[0].headers
