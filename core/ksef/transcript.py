"""A masked record of the HTTP exchange of one operation: the support bundle (DESIGN.md §3 G.20).

Masked: the Authorization header, every JSON field that carries a token, a key or an encrypted secret, the query
string of pre-signed URLs and XML signatures. Bodies are cut to a few kilobytes.
"""

from __future__ import annotations

import re
import threading
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


@dataclass
class Transcript:
    entries: list[dict[str, Any]] = field(default_factory=list)
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
        entry = {
            "at": (started or utcnow()).isoformat(),
            "method": method,
            "url": mask_url(url),
            "request_headers": mask_headers(request_headers),
            "request_body": mask_text(request_body.decode("utf-8", "replace"), request_headers.get("content-type", "")),
            "status": status,
            "response_headers": mask_headers(response_headers or {}),
            "response_body": mask_text(
                response_body.decode("utf-8", "replace"), (response_headers or {}).get("content-type", "")
            ),
            "elapsed_ms": round(elapsed_ms, 1),
        }
        if error:
            entry["error"] = error
        with self._lock:
            self.entries.append(entry)

    def tail(self, count: int = 30) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.entries[-count:])
