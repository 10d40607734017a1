"""Which rate-limit group a request counts against (PROTOCOL.md §12.1; values are read from GET /rate-limits).

Unauthenticated endpoints are counted per client IP (context ""). Every endpoint of the `other` group has its own
counter, so its key carries the endpoint.
"""

from __future__ import annotations

import re

_RULES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"/sessions/online$"), "onlineSession"),
    ("POST", re.compile(r"/sessions/online/[^/]+/close$"), "onlineSessionClose"),
    ("POST", re.compile(r"/sessions/online/[^/]+/invoices$"), "invoiceSend"),
    ("POST", re.compile(r"/sessions/batch$"), "batchSession"),
    ("POST", re.compile(r"/sessions/batch/[^/]+/close$"), "batchSessionClose"),
    ("GET", re.compile(r"/sessions$"), "sessionList"),
    ("GET", re.compile(r"/sessions/[^/]+/invoices(/failed)?$"), "sessionInvoiceList"),
    ("GET", re.compile(r"/sessions/[^/]+/invoices/(ksef/[^/]+|[^/]+)/upo$"), "sessionMisc"),
    ("GET", re.compile(r"/sessions/[^/]+/upo/[^/]+$"), "sessionMisc"),
    ("GET", re.compile(r"/sessions/[^/]+/invoices/[^/]+$"), "invoiceStatus"),
    ("GET", re.compile(r"/sessions/[^/]+$"), "sessionMisc"),
    ("POST", re.compile(r"/invoices/query/metadata$"), "invoiceMetadata"),
    ("POST", re.compile(r"/invoices/exports$"), "invoiceExport"),
    ("GET", re.compile(r"/invoices/exports/[^/]+$"), "invoiceExportStatus"),
    ("GET", re.compile(r"/invoices/ksef/[^/]+$"), "invoiceDownload"),
    ("POST", re.compile(r"/collective-identifiers$"), "collectiveIdentifier"),
]
_ANONYMOUS = re.compile(
    r"/auth/(challenge|xades-signature|ksef-token|token/redeem|token/refresh|[0-9]{8}-[A-Z]{2}-[0-9A-F-]+)$"
    r"|/security/public-key-certificates$|/peppol/query$|/testdata/"
)
_ID_SEGMENT = re.compile(
    r"/(\d{8}-[A-Z]{2}-[0-9A-F]{10}-[0-9A-F]{10}-[0-9A-F]{2}|[0-9A-F]{16}|\d{10}-\d{8}-[0-9A-F-]+)"
)
ANONYMOUS_GROUP = "anonymous"


def endpoint_group(method: str, path: str) -> str:
    """`path` is the URL path after the API base (e.g. `/invoices/query/metadata`)."""
    path = path.rstrip("/")
    if _ANONYMOUS.search(path):
        return ANONYMOUS_GROUP
    for rule_method, pattern, group in _RULES:
        if method.upper() == rule_method and pattern.search(path):
            return group
    return f"other:{method.upper()} {_ID_SEGMENT.sub('/{id}', path)}"


def limits_key(group: str) -> str:
    """The name under which GET /rate-limits reports a group's values (`other:…` → `other`)."""
    return group.split(":", 1)[0]
