"""A masked record of the HTTP exchange of one operation: the support bundle (DESIGN.md §3 G.20); masked when read.

Masked: the Authorization header, every JSON field that carries a token, a key or an encrypted secret, the query
string of pre-signed URLs and XML signatures. Bodies are cut to a few kilobytes.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from core.types import utcnow

MASK = "***"
MAX_BODY_CHARS = 4000
SECRET_KEYS = {
    "token",
    "accesstoken",
    "refreshtoken",
    "authenticationtoken",
    "encryptedtoken",
    "encryptedsymmetrickey",
    "encryptedinvoicecontent",
    "privatekey",
    "password",
    "ksefToken".lower(),
    "privatekeypem",
    "csr",
}
_XML_SECRET = re.compile(r"(<(?:\w+:)?(SignatureValue|X509Certificate)>)[^<]*(</)", re.S)
_BEARER = re.compile(r"(Bearer\s+)\S+", re.I)


_JSON_SECRET = re.compile(r'("(?i:' + "|".join(sorted(SECRET_KEYS)) + r')"\s*:\s*)"(?:[^"\\]|\\.)*"')


def mask_text(text: str, content_type: str = "") -> str:
    """Mask secrets in a body, then cut it; a regex, not a JSON parse, so large metadata pages stay cheap."""
    text = _JSON_SECRET.sub(rf'\1"{MASK}"', text)
    text = _XML_SECRET.sub(rf"\1{MASK}\3", text)
    return _BEARER.sub(rf"\1{MASK}", text)[:MAX_BODY_CHARS]


def mask_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, MASK if parts.query else "", ""))


def mask_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: (MASK if k.lower() in {"authorization", "cookie", "x-ms-meta-hash"} else v) for k, v in headers.items()}


KEEP = 30  # exchanges kept: a problem's transcript is the operation's last ones


@dataclass
class Transcript:
    """The last `KEEP` exchanges, masked when read: most operations end well and nobody reads them, so the masking
    (regular expressions over every body) is not paid for every request."""

    _exchanges: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=KEEP), repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(
        self,
        *,
        method: str,
        url: str,
        request_headers: dict[str, str],
        request_body: bytes,
        status: int | None,
        response_headers: dict[str, str] | None,
        response_body: bytes,
        elapsed_ms: float,
        started: datetime | None = None,
        error: str = "",
    ) -> None:
        exchange = {
            "at": started or utcnow(),
            "method": method,
            "url": url,
            "request_headers": request_headers,
            "request_body": request_body,
            "status": status,
            "response_headers": response_headers or {},
            "response_body": response_body,
            "elapsed_ms": elapsed_ms,
            "error": error,
        }
        with self._lock:
            self._exchanges.append(exchange)

    @property
    def entries(self) -> list[dict[str, Any]]:
        """The kept exchanges, masked, oldest first."""
        with self._lock:
            exchanges = list(self._exchanges)
        return [_masked(exchange) for exchange in exchanges]

    def tail(self, count: int = KEEP) -> list[dict[str, Any]]:
        return self.entries[-count:]


def _masked(exchange: dict[str, Any]) -> dict[str, Any]:
    request_headers, response_headers = exchange["request_headers"], exchange["response_headers"]
    entry = {
        "at": exchange["at"].isoformat(),
        "method": exchange["method"],
        "url": mask_url(exchange["url"]),
        "request_headers": mask_headers(request_headers),
        "request_body": mask_text(
            exchange["request_body"].decode("utf-8", "replace"), request_headers.get("content-type", "")
        ),
        "status": exchange["status"],
        "response_headers": mask_headers(response_headers),
        "response_body": mask_text(
            exchange["response_body"].decode("utf-8", "replace"), response_headers.get("content-type", "")
        ),
        "elapsed_ms": round(exchange["elapsed_ms"], 1),
    }
    if exchange["error"]:
        entry["error"] = exchange["error"]
    return entry
