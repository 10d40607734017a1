"""A small client of the intake API: signs in again by itself when its short-lived token runs out."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import httpx


class IntakeError(Exception):
    """A refusal of the intake API (its one sentence) or a network failure."""

    def __init__(self, message: str, status: int | None = None, code: str = "", problems: list[str] | None = None):
        super().__init__(message)
        self.message, self.status, self.code, self.problems = message, status, code, problems or []


@dataclass
class Credentials:
    url: str
    company_key: str
    program: str
    password: str


class IntakeClient:
    def __init__(
        self, credentials: Credentials, *, timeout: float = 30.0, transport: httpx.BaseTransport | None = None
    ):
        self.credentials = credentials
        self._http = httpx.Client(base_url=credentials.url.rstrip("/"), timeout=timeout, transport=transport)
        self._token: str | None = None

    def close(self) -> None:
        self._http.close()

    def sign_in(self) -> None:
        body = {"company_key": self.credentials.company_key, "program": self.credentials.program,
                "password": self.credentials.password}  # fmt: skip
        self._token = self._send("POST", "/v1/auth/token", json=body, signed=False).json()["access_token"]

    def _send(self, method: str, path: str, *, signed: bool = True, **kwargs: Any) -> httpx.Response:
        for attempt in (1, 2):
            if signed and self._token is None:
                self.sign_in()
            headers = dict(kwargs.pop("headers", {}) or {})
            if signed:
                headers["Authorization"] = f"Bearer {self._token}"
            try:
                response = self._http.request(method, path, headers=headers, **kwargs)
            except httpx.HTTPError as error:
                raise IntakeError(f"no connection with the office's intake API ({error.__class__.__name__})") from error
            if response.status_code == 401 and signed and attempt == 1:
                self._token = None  # expired or revoked: sign in once more
                kwargs["headers"] = headers
                continue
            if response.status_code >= 400:
                try:
                    body = response.json()
                except ValueError:
                    body = {"message": response.text[:300]}
                raise IntakeError(body.get("message", ""), response.status_code, body.get("code", ""),
                                  body.get("problems") or [])  # fmt: skip
            return response
        raise AssertionError("unreachable")

    def connection(self) -> dict[str, Any]:
        result: dict[str, Any] = self._send("GET", "/v1/connection").json()
        return result

    def push(self, xml: bytes, *, file_name: str, idempotency_key: str) -> dict[str, Any]:
        body = {"file_name": file_name, "content_base64": base64.b64encode(xml).decode()}
        result: dict[str, Any] = self._send(
            "POST", "/v1/invoices", json=body, headers={"Idempotency-Key": idempotency_key}
        ).json()
        return result

    def document(self, document_id: int) -> dict[str, Any]:
        result: dict[str, Any] = self._send("GET", f"/v1/invoices/{document_id}").json()
        return result

    def documents(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        after = 0
        while True:
            items = self._send("GET", "/v1/invoices", params={"after": after}).json()["items"]
            if not items:
                return found
            found += items
            after = items[-1]["id"]

    def upo(self, document_id: int) -> bytes:
        return self._send("GET", f"/v1/invoices/{document_id}/upo").content

    def received(self, cursor: int) -> dict[str, Any]:
        result: dict[str, Any] = self._send("GET", "/v1/received", params={"cursor": cursor}).json()
        return result

    def received_xml(self, invoice_id: int) -> bytes:
        return self._send("GET", f"/v1/received/{invoice_id}/xml").content

    def acknowledge(self, invoice_ids: list[int]) -> int:
        return int(self._send("POST", "/v1/received/ack", json={"invoice_ids": invoice_ids}).json()["acknowledged"])
