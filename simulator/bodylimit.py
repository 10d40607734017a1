"""Request body caps: an oversized body is answered 413 before it is read into memory.

KSeF's largest request is an invoice sent in an online session: `encryptedInvoiceContent` is the Base64 of the
AES-256-CBC ciphertext of an invoice of at most `maxInvoiceWithAttachmentSizeInMB`, which a TEST override may raise to
10 MB (OpenAPI `OnlineSessionContextLimitsOverride`, maximum 10; PROTOCOL.md §12.2: 1 MB, 3 MB with attachments).
10^7 bytes + 16 of padding is 13,333,356 Base64 characters; with the JSON around them 14 MB is enough. Every other
request (JSON, a signed XAdES document, a CSR, admin input such as a seed of 1,000 clients) fits in 1 MB. Batch parts
of up to 100 MB (+16 bytes of padding) go to the pre-signed upload URLs under /storage/batch/.

With a Content-Length the decision is made from the header alone; without one (chunked), bytes are counted as they
arrive and reading stops at the cap.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simulator.errors import problem

MB = 1_000_000  # KSeF's MB is 10^6 bytes
DEFAULT_LIMIT = 1 * MB
INVOICE_LIMIT = 14 * MB
BATCH_PART_LIMIT = 100 * MB + 16
_INVOICE_SEND = re.compile(r"^/v2/sessions/online/[^/]+/invoices/?$")
_BATCH_PART = re.compile(r"^/storage/batch/[^/]+/\d+$")


def limit_for(method: str, path: str) -> int:
    if method == "PUT" and _BATCH_PART.match(path):
        return BATCH_PART_LIMIT
    return INVOICE_LIMIT if method == "POST" and _INVOICE_SEND.match(path) else DEFAULT_LIMIT


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    request = Request(scope)
    detail = f"Treść żądania przekracza {limit // MB} MB."
    extra = {"error": detail} if scope["path"].startswith("/_sim/") else None
    await problem(request, 413, detail, extra=extra)(scope, receive, send)


class BodyLimit:
    """ASGI middleware: 413 for a body over `limit_for(method, path)`, without reading it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["method"], scope["path"])
        declared = _content_length(scope)
        if declared is not None:  # the server enforces the declared framing, so the header is the whole story
            if declared > limit:
                await _too_large(scope, receive, send, limit)
            else:
                await self.app(scope, receive, send)
            return
        # No length given (chunked): take the body in, counting, and stop at the cap.
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(scope, receive, send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)
