"""Invoice traffic with KSeF: metadata windows, exports (encrypted packages), online sessions and UPOs.

PROTOCOL.md §5 (online sessions), §7 (retrieval, exports, HWM). The SDK does the cryptography; we speak the JSON of
the contract through the gateway, so every call is limited, recorded and classified.
"""

from __future__ import annotations

import base64
import io
import json
import time
import zipfile
from dataclasses import dataclass, field
from typing import Any

from ksef_client.services.crypto import (
    EncryptionData,
    build_encryption_data,
    build_send_invoice_request,
    decrypt_aes_cbc_pkcs7,
)

from core.ksef.errors import KsefFailure
from core.ksef.gateway import KsefGateway
from core.texts import Text
from core.types import ProblemClass

FA3_FORM_CODE = {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"}
EXPORT_POLL_TIMEOUT_SECONDS = 300.0
STATUS_POLL_TIMEOUT_SECONDS = 120.0


def _encryption(gateway: KsefGateway) -> EncryptionData:
    certificate, key_id = gateway.public_key("SymmetricKeyEncryption")
    return build_encryption_data(certificate, public_key_id=key_id or None)


def _info(data: EncryptionData) -> dict[str, Any]:
    encryption = data.encryption_info
    assert encryption is not None
    info = {
        "encryptedSymmetricKey": encryption.encrypted_symmetric_key,
        "initializationVector": encryption.initialization_vector,
    }
    if encryption.public_key_id:
        info["publicKeyId"] = encryption.public_key_id
    return info


def _json(gateway: KsefGateway, method: str, path: str, access_token: str, **kwargs: Any) -> dict[str, Any]:
    response = gateway.call(
        lambda: gateway.client.http_client.request(method, path, access_token=access_token, **kwargs)
    )
    body: dict[str, Any] = response.json() if response.content else {}
    return body


# --- exports -------------------------------------------------------------------------------------------------------


@dataclass
class ExportedPackage:
    metadata: list[dict[str, Any]]
    documents: dict[str, bytes]
    package: dict[str, Any]


def export_invoices(gateway: KsefGateway, access_token: str, filters: dict[str, Any]) -> ExportedPackage:
    """Start an export, wait for its package, fetch and decrypt the parts, unzip XMLs and `_metadata.json`."""

    def start() -> tuple[EncryptionData, str]:
        encryption = _encryption(gateway)
        body = {"encryption": _info(encryption), "filters": filters, "onlyMetadata": False, "compressionType": "Zip"}
        started = _json(gateway, "POST", "/invoices/exports", access_token, json=body, expected_status={201})
        return encryption, started["referenceNumber"]

    encryption, reference = gateway.with_fresh_keys(start)
    package = _wait_for_export(gateway, access_token, reference)
    archive = b"".join(
        decrypt_aes_cbc_pkcs7(gateway.fetch_presigned(part["url"]), encryption.key, encryption.iv)
        for part in sorted(package.get("parts", []), key=lambda p: p["ordinalNumber"])
    )
    metadata: list[dict[str, Any]] = []
    documents: dict[str, bytes] = {}
    if archive:
        with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
            for name in zipped.namelist():
                if name == "_metadata.json":
                    metadata = json.loads(zipped.read(name)).get("invoices", [])
                elif name.endswith(".xml"):
                    documents[name.removesuffix(".xml")] = zipped.read(name)
    return ExportedPackage(metadata, documents, package)


def _wait_for_export(gateway: KsefGateway, access_token: str, reference: str) -> dict[str, Any]:
    deadline = time.monotonic() + EXPORT_POLL_TIMEOUT_SECONDS
    delay = 0.2
    while True:
        status = _json(gateway, "GET", f"/invoices/exports/{reference}", access_token)
        code = status.get("status", {}).get("code")
        if code == 200:
            package: dict[str, Any] = status.get("package") or {}
            return package
        if code != 100:
            description = status.get("status", {}).get("description", "")
            raise KsefFailure(
                ProblemClass.internal, Text("ksef.export_status", code=code, description=description), ksef_code=code,
                reference_number=reference, details=status.get("status", {}),
            )  # fmt: skip
        if time.monotonic() > deadline:
            raise KsefFailure(ProblemClass.ksef_unavailable, Text("ksef.export_timeout"))
        time.sleep(delay)
        delay = min(delay * 2, 2.0)


# --- online session --------------------------------------------------------------------------------------------------


@dataclass
class OnlineSession:
    reference: str
    encryption: EncryptionData = field(repr=False)


def open_online_session(gateway: KsefGateway, access_token: str) -> OnlineSession:
    def start() -> OnlineSession:
        encryption = _encryption(gateway)
        body = {"formCode": FA3_FORM_CODE, "encryption": _info(encryption)}
        opened = _json(gateway, "POST", "/sessions/online", access_token, json=body, expected_status={201})
        return OnlineSession(opened["referenceNumber"], encryption)

    return gateway.with_fresh_keys(start)


def send_invoice(gateway: KsefGateway, access_token: str, session: OnlineSession, xml: bytes) -> str:
    request = build_send_invoice_request(xml, session.encryption.key, session.encryption.iv)
    sent = _json(
        gateway,
        "POST",
        f"/sessions/online/{session.reference}/invoices",
        access_token,
        json=request.to_dict(),
        expected_status={202},
    )
    return str(sent["referenceNumber"])


def close_online_session(gateway: KsefGateway, access_token: str, reference: str) -> None:
    gateway.call(
        lambda: gateway.client.http_client.request(
            "POST", f"/sessions/online/{reference}/close", access_token=access_token, expected_status={204}
        )
    )


def wait_for_invoice(gateway: KsefGateway, access_token: str, session_ref: str, invoice_ref: str) -> dict[str, Any]:
    """Poll an invoice's status until KSeF has judged it (anything but 100 accepted / 150 processing)."""
    deadline = time.monotonic() + STATUS_POLL_TIMEOUT_SECONDS
    delay = 0.1
    while True:
        status = _json(gateway, "GET", f"/sessions/{session_ref}/invoices/{invoice_ref}", access_token)
        if status.get("status", {}).get("code") not in (100, 150):
            return status
        if time.monotonic() > deadline:
            raise KsefFailure(ProblemClass.ksef_unavailable, Text("ksef.invoice_status_timeout"))
        time.sleep(delay)
        delay = min(delay * 2, 1.0)


def invoice_upo(gateway: KsefGateway, access_token: str, session_ref: str, ksef_number: str) -> bytes:
    response = gateway.call(
        lambda: gateway.client.http_client.request(
            "GET",
            f"/sessions/{session_ref}/invoices/ksef/{ksef_number}/upo",
            access_token=access_token,
            headers={"Accept": "application/xml"},
        )
    )
    return bytes(response.content)


def sha256_base64(data: bytes) -> str:
    import hashlib

    return base64.b64encode(hashlib.sha256(data).digest()).decode()
