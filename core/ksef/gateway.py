"""One client context's way into KSeF: the SDK with our transport underneath and classified errors on top."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

import httpx
from ksef_client import KsefClient, KsefClientOptions
from ksef_client.exceptions import KsefHttpError

from core.ksef import environments
from core.ksef.errors import KsefFailure, classify, network_failure
from core.ksef.limiter import RateLimiter
from core.ksef.transcript import Transcript
from core.ksef.transport import GatewayTransport, tls_context
from core.settings import get_settings
from core.texts import Text
from core.types import ProblemClass

T = TypeVar("T")
PUBLIC_KEYS_TTL_SECONDS = 3600
_public_keys: dict[str, tuple[float, list[dict[str, Any]]]] = {}
_public_keys_lock = threading.Lock()


def parse_ksef_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class KsefGateway:
    """Open one per operation (and thread); close it when done. Never shared between threads.

    `transport` (like httpx's `transport=`) replaces the shared connection pool underneath: requests still pass the
    limiter and land in the transcript, then go to it instead of the network. Tests give an `httpx.MockTransport`
    where a real simulator adds nothing (a 503, a dropped connection); the gateway closes it with itself.
    """

    def __init__(
        self,
        environment: str,
        context_nip: str,
        *,
        limiter: RateLimiter | None = None,
        transcript: Transcript | None = None,
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.environment = environment
        self.context_nip = context_nip
        self.transcript = transcript or Transcript()
        self.timeout = timeout if timeout is not None else get_settings().ksef_timeout_seconds
        self.transport = GatewayTransport(
            environment=environment,
            context_nip=context_nip,
            limiter=limiter if limiter is not None else RateLimiter(),
            transcript=self.transcript,
            inner=transport,
        )
        options = KsefClientOptions(
            base_url=environments.host_url(environment),
            base_lighthouse_url=environments.lighthouse_url(environment),
            timeout_seconds=self.timeout,
            verify_ssl=tls_context(),  # type: ignore[arg-type]  # httpx takes a context; building one is costly
            user_agent=user_agent(),
        )
        self.client = KsefClient(options)
        self._storage = _client(self.transport, self.timeout)  # pre-signed URLs; the SDK's two clients share it
        _install_transport(self.client, self._storage)

    def close(self) -> None:
        self._storage.close()  # the SDK's clients are this one: closing it once closes them

    def __enter__(self) -> KsefGateway:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Turn whatever a call raises into a classified KsefFailure."""
        try:
            yield
        except KsefFailure:
            raise
        except Exception as error:
            raise classify(error) from None

    def call(self, function: Callable[[], T]) -> T:
        with self.guard():
            return function()

    # --- keys, availability ------------------------------------------------------------------------------------

    def public_key_certificates(self, *, refresh: bool = False) -> list[dict[str, Any]]:
        now = time.monotonic()
        with _public_keys_lock:
            cached = _public_keys.get(self.environment)
        if cached and not refresh and now - cached[0] < PUBLIC_KEYS_TTL_SECONDS:
            return cached[1]
        certificates = self.call(self.client.security.get_public_key_certificates)
        listed = [c.to_dict() for c in certificates]
        with _public_keys_lock:
            _public_keys[self.environment] = (now, listed)
        return listed

    def with_fresh_keys(self, function: Callable[[], T]) -> T:
        """Run a call that encrypts with a KSeF public key; on 21470 (key rotated) fetch the keys again, once."""
        try:
            return function()
        except KsefFailure as failure:
            if failure.ksef_code != 21470:
                raise
        self.public_key_certificates(refresh=True)
        return function()

    def public_key(self, usage: str) -> tuple[str, str]:
        """(certificate Base64 DER, publicKeyId) for a usage, by the selection rule of PROTOCOL.md §3.1."""
        now = datetime.now(UTC)
        candidates = [
            c
            for c in self.public_key_certificates()
            if usage in c.get("usage", [])
            and (parse_ksef_datetime(c.get("validFrom")) or now)
            <= now
            <= (parse_ksef_datetime(c.get("validTo")) or now)
        ]
        if not candidates:
            raise KsefFailure(ProblemClass.ksef_unavailable, Text("ksef.no_public_key", usage=usage))
        chosen = max(candidates, key=lambda c: c.get("validFrom") or "")
        return chosen["certificate"], chosen.get("publicKeyId", "")

    def lighthouse_status(self) -> dict[str, Any]:
        status = self.call(self.client.lighthouse.get_status)
        return status.to_dict()

    def check_reachable(self) -> None:
        """DNS + TCP + TLS to the API host, without touching any endpoint's limit."""
        try:
            self._storage.get(environments.host_url(self.environment) + "/", timeout=min(self.timeout, 10))
        except httpx.TransportError as error:
            raise network_failure(error) from None

    # --- data the console reads ----------------------------------------------------------------------------------

    def personal_permissions(self, access_token: str) -> list[str]:
        """What the authenticated subject may do in the current context (POST /permissions/query/personal/grants)."""
        from ksef_client.openapi_models import PersonalPermissionsQueryRequest

        scopes: set[str] = set()
        offset = 0
        query = PersonalPermissionsQueryRequest.from_dict({"permissionState": "Active"})
        while True:
            with self.guard():
                page = self.client.permissions.query_personal_grants(
                    query, page_offset=offset, page_size=100, access_token=access_token
                )
            scopes.update(str(_enum_value(p.permission_scope)) for p in page.permissions)
            scopes.update(str(_enum_value(s)) for s in (page.owner_permissions or []))
            if not page.has_more:
                return sorted(scopes)
            offset += 1

    def token_permissions(self, access_token: str, reference_number: str) -> list[str]:
        """A KSeF token's frozen permission set (GET /tokens/{ref}); a token caller may read its own token."""
        status = self.call(lambda: self.client.tokens.get_token_status(reference_number, access_token=access_token))
        if str(_enum_value(status.status)) != "Active":
            return []
        return sorted(str(_enum_value(p)) for p in status.requested_permissions)

    def rate_limits(self, access_token: str) -> dict[str, dict[str, int]]:
        limits = self.call(lambda: self.client.rate_limits.get_rate_limits(access_token))
        return {k: v for k, v in limits.to_dict().items() if isinstance(v, dict)}

    def context_limits(self, access_token: str) -> dict[str, Any]:
        return self.call(lambda: self.client.limits.get_context_limits(access_token)).to_dict()

    def query_metadata(
        self,
        access_token: str,
        filters: dict[str, Any],
        *,
        page_offset: int = 0,
        page_size: int = 250,
        sort_order: str = "Asc",
    ) -> dict[str, Any]:
        response = self.call(
            lambda: self.client.http_client.request(
                "POST",
                "/invoices/query/metadata",
                params={"pageOffset": page_offset, "pageSize": page_size, "sortOrder": sort_order},
                json=filters,
                access_token=access_token,
            )
        )
        body: dict[str, Any] = response.json()
        return body

    def invoice_xml(self, access_token: str, ksef_number: str) -> bytes:
        content = self.call(lambda: self.client.invoices.get_invoice_bytes(ksef_number, access_token=access_token))
        return bytes(content.content)

    def _check_presigned(self, url: str) -> None:
        host = httpx.URL(url).host
        if host not in environments.presigned_hosts(self.environment):
            raise KsefFailure(ProblemClass.internal, Text("ksef.download_host", host=host))

    def upload_presigned(self, method: str, url: str, headers: dict[str, str], content: bytes) -> None:
        """A batch part to its pre-signed URL: the given method and headers, no token, only to allowed hosts."""
        self._check_presigned(url)
        with self.guard():
            response = self._storage.request(method, url, headers=headers, content=content)
            if response.status_code not in (200, 201):
                raise KsefHttpError(response.status_code, "pre-signed upload failed")

    def fetch_presigned(self, url: str) -> bytes:
        """UPO pages and export parts: plain GET, no token, only from allowed hosts (the SDK refuses loopback)."""
        self._check_presigned(url)
        with self.guard():
            response = self._storage.get(url)
            if response.status_code != 200:
                raise KsefHttpError(response.status_code, "pre-signed download failed")
            return response.content


def _enum_value(value: Any) -> Any:
    return getattr(value, "value", value)


@cache
def user_agent() -> str:
    """The SDK's own User-Agent, worked out once: its default reads the package's metadata from disk for every client,
    and a gateway is built per operation (2.8 % of a 3,000-client fleet sync's samples went there)."""
    return KsefClientOptions(base_url="http://localhost").user_agent


def _install_transport(client: KsefClient, http: httpx.Client) -> None:
    """Put our transport under the SDK. The SDK builds its httpx clients itself; 0.20 keeps them in `_client`. One
    client serves the SDK's API and Latarnia clients and our pre-signed downloads: a gateway is built per operation,
    and every httpx client built is a connection pool's worth of objects."""
    for sdk_http in (client.http_client, client._lighthouse_http):
        sdk_http._client.close()
        sdk_http._client = http


def _client(transport: GatewayTransport, timeout: float) -> httpx.Client:
    # trust_env=False: no proxy transports of our own to build; the pool below is shared by every gateway.
    return httpx.Client(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False)
