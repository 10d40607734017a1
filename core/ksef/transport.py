"""The httpx transport under the SDK: every request passes the rate limiter and lands in the transcript.

This is the narrow seam of the gateway (in the spirit of httpx's own transports): the SDK keeps building and parsing
requests; we decide when a request may leave, remember what was said, and turn a 429 into a block for everyone.
"""

from __future__ import annotations

import os
import ssl
import time
from functools import cache
from typing import Any

import httpx

from core.ksef.groups import ANONYMOUS_GROUP, endpoint_group
from core.ksef.limiter import RateLimiter
from core.ksef.transcript import Transcript
from core.types import utcnow

API_PREFIX = "/v2"
DEFAULT_RETRY_AFTER_SECONDS = 1.0
# A 429 is answered before KSeF does anything, so the same request may simply go again after Retry-After.
MAX_429_RETRIES = 3
MAX_TRANSPARENT_WAIT_SECONDS = 60.0


@cache
def tls_context() -> ssl.SSLContext:
    """One verified TLS context per process: building one reads the CA bundle (tens of milliseconds)."""
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


@cache
def shared_transport() -> httpx.HTTPTransport:
    """The process's connection pool: gateways come and go, connections (and TLS sessions) are kept and reused.

    Our clients do not read proxy variables themselves (`trust_env=False`), so an office behind a proxy is served
    here, once, from HTTPS_PROXY.
    """
    return httpx.HTTPTransport(
        verify=tls_context(),
        limits=httpx.Limits(max_connections=200, max_keepalive_connections=100),
        proxy=os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy") or None,
    )


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class GatewayTransport(httpx.BaseTransport):
    def __init__(
        self,
        *,
        environment: str,
        context_nip: str,
        limiter: RateLimiter | None,
        transcript: Transcript,
        inner: httpx.BaseTransport | None = None,
    ) -> None:
        self.environment = environment
        self.context_nip = context_nip
        self.limiter = limiter
        self.transcript = transcript
        self.inner = inner or shared_transport()
        self.waited_seconds = 0.0

    def _limit_key(self, request: httpx.Request) -> tuple[str, str] | None:
        path = request.url.path
        if not path.startswith(API_PREFIX + "/"):
            return None  # pre-signed storage URLs and Latarnia are not rate limited
        group = endpoint_group(request.method, path.removeprefix(API_PREFIX))
        # Unauthenticated calls are counted per client IP, not per context.
        return ("" if group == ANONYMOUS_GROUP else self.context_nip), group

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        key = self._limit_key(request)
        for attempt in range(MAX_429_RETRIES + 1):
            response = self._send_once(request, key)
            if response.status_code != 429 or key is None or self.limiter is None:
                return response
            retry = parse_retry_after(response.headers.get("Retry-After")) or DEFAULT_RETRY_AFTER_SECONDS
            self.limiter.block(self.environment, key[0], key[1], retry)
            if attempt == MAX_429_RETRIES or retry > MAX_TRANSPARENT_WAIT_SECONDS:
                return response
        return response

    def _send_once(self, request: httpx.Request, key: tuple[str, str] | None) -> httpx.Response:
        if key is not None and self.limiter is not None:
            self.waited_seconds += self.limiter.acquire(self.environment, *key)
        started, clock = utcnow(), time.perf_counter()
        body = request.read()
        try:
            response = self.inner.handle_request(request)
            response.read()
        except httpx.TransportError as error:
            self._record(request, body, None, b"", clock, started, type(error).__name__)
            raise
        self._record(request, body, response, response.content, clock, started, "")
        return response

    def _record(
        self,
        request: httpx.Request,
        body: bytes,
        response: httpx.Response | None,
        content: bytes,
        clock: float,
        started: Any,
        error: str,
    ) -> None:
        self.transcript.record(
            method=request.method,
            url=str(request.url),
            request_headers={k.lower(): v for k, v in request.headers.items()},
            request_body=body,
            status=None if response is None else response.status_code,
            response_headers=None if response is None else {k.lower(): v for k, v in response.headers.items()},
            response_body=content,
            elapsed_ms=(time.perf_counter() - clock) * 1000,
            started=started,
            error=error,
        )

    def close(self) -> None:
        """The shared pool outlives one gateway; only a private inner transport is closed. The context's limiter
        keys are handed back, so another process can take them over at once."""
        if self.limiter is not None:
            self.limiter.release(self.environment, self.context_nip)
        if self.inner is not shared_transport():
            self.inner.close()
