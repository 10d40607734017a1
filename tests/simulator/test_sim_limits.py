"""Rate limits (production values, per context and group, 429 + Retry-After, overrides) and the limits endpoints."""

from __future__ import annotations

import pytest
from ksef_client.exceptions import KsefRateLimitError
from ksef_client.models import SetRateLimitsRequest

from simulator.ratelimit import RateLimiter
from tests.simulator.flows import CLIENT_NIP, OFFICE_NIP, OTHER_NIP, filters, token_auth


def _tokens(admin):
    seeded = admin.seed(
        OFFICE_NIP,
        "Biuro",
        [
            {"nip": CLIENT_NIP, "name": "A", "scenario": "healthy"},
            {"nip": OTHER_NIP, "name": "B", "scenario": "healthy"},
        ],
        invoices_per_client=0,
    )
    return {client["nip"]: client["ksefToken"] for client in seeded["clients"]}


def test_metadata_queries_hit_429_with_retry_after(admin, ksef):
    tokens = _tokens(admin)
    access = token_auth(ksef, CLIENT_NIP, tokens[CLIENT_NIP]).access_token
    query = filters()
    for _ in range(8):  # invoiceMetadata: 8 per second
        ksef.invoices.query_invoice_metadata(query, access_token=access)
    with pytest.raises(KsefRateLimitError) as error:
        ksef.invoices.query_invoice_metadata(query, access_token=access)
    assert error.value.retry_after is not None and error.value.retry_after >= 1
    assert error.value.response_body["status"]["code"] == 429
    # Limits are per context: another client of the office is not affected.
    other = token_auth(ksef, OTHER_NIP, tokens[OTHER_NIP]).access_token
    assert ksef.invoices.query_invoice_metadata(query, access_token=other).has_more is False
    stats = admin.stats()
    assert stats["byContext"][CLIENT_NIP]["byGroup"]["invoiceMetadata"] == {"requests": 9, "tooManyRequests": 1}
    assert stats["tooManyRequests"] == 1


def test_problem_details_429(admin, ksef, http):
    access = token_auth(ksef, CLIENT_NIP, _tokens(admin)[CLIENT_NIP]).access_token
    headers = {"Authorization": f"Bearer {access}", "X-Error-Format": "problem-details"}
    statuses = [
        http.get("/v2/sessions", params={"sessionType": "Online"}, headers=headers).status_code for _ in range(6)
    ]  # sessionList: 5 per second
    assert statuses[-1] == 429
    last = http.get("/v2/sessions", params={"sessionType": "Online"}, headers=headers)
    assert last.headers["content-type"].startswith("application/problem+json") and last.json()["status"] == 429


def test_override_production_and_reset(admin, ksef):
    access = token_auth(ksef, CLIENT_NIP, _tokens(admin)[CLIENT_NIP]).access_token
    current = ksef.rate_limits.get_rate_limits(access_token=access)
    assert (current.invoice_metadata.per_second, current.invoice_metadata.per_hour) == (8, 20)
    assert current.global_.per_second == -1 and current.anonymous.per_second == 60
    body = current.to_dict()
    body["invoiceMetadata"] = {"perSecond": 1, "perMinute": 1, "perHour": 1}
    ksef.testdata.set_rate_limits(SetRateLimitsRequest.from_dict({"rateLimits": body}), access_token=access)
    ksef.invoices.query_invoice_metadata(filters(), access_token=access)
    with pytest.raises(KsefRateLimitError) as error:
        ksef.invoices.query_invoice_metadata(filters(), access_token=access)
    assert error.value.retry_after >= 59  # the per-minute window decides
    ksef.testdata.restore_production_rate_limits(access_token=access)
    assert ksef.rate_limits.get_rate_limits(access_token=access).invoice_metadata.per_hour == 20


def test_each_other_endpoint_has_its_own_counter():
    limiter = RateLimiter()
    limits = limiter.limits_for("other", None)
    assert limits == (10, 30, 120)
    for _ in range(10):
        assert limiter.check(
            context="1", client_ip="ip", group="other", operation_key="GET /tokens", limits=limits, now=100.0
        ).allowed
    assert not limiter.check(
        context="1", client_ip="ip", group="other", operation_key="GET /tokens", limits=limits, now=100.5
    ).allowed
    assert limiter.check(
        context="1", client_ip="ip", group="other", operation_key="GET /rate-limits", limits=limits, now=100.5
    ).allowed
    assert limiter.check(
        context="1", client_ip="ip", group="other", operation_key="GET /tokens", limits=limits, now=101.01
    ).allowed  # the sliding second has passed


def test_retry_after_counts_down_to_the_oldest_hit():
    limiter = RateLimiter()
    for moment in (0.0, 10.0, 20.0):
        limiter.check(context="1", client_ip="ip", group="g", operation_key="", limits=(-1, 3, -1), now=moment)
    verdict = limiter.check(context="1", client_ip="ip", group="g", operation_key="", limits=(-1, 3, -1), now=30.0)
    assert not verdict.allowed and verdict.retry_after == 30  # the hit at 0 leaves the minute at 60


def test_context_and_subject_limits(admin, ksef):
    access = token_auth(ksef, CLIENT_NIP, _tokens(admin)[CLIENT_NIP]).access_token
    context = ksef.limits.get_context_limits(access_token=access)
    assert (context.online_session.max_invoice_size_in_mb, context.batch_session.max_invoices) == (1, 10_000)
    assert context.collective_identifier.max_invoices == 10_000
    subject = ksef.limits.get_subject_limits(access_token=access)
    assert subject.certificate.max_certificates == 100
