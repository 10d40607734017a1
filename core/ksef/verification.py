"""KOD I, the verification link printed on every invoice shown outside KSeF (PROTOCOL.md §14), and its QR code,
both built by the SDK's own helpers.

`https://qr[-test|-demo].ksef.mf.gov.pl/invoice/{seller NIP}/{issue date DD-MM-YYYY}/{Base64URL(SHA-256(file))}`;
under the code, the KSeF number (or OFFLINE while the invoice has none). The simulator is not KSeF: its invoices are
verified by the simulator's own page at `<simulator>/qr`.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import date

from ksef_client.config import KsefClientOptions
from ksef_client.services.qr import add_label_to_qr, generate_qr_png
from ksef_client.services.verification_link import VerificationLinkService

from core.ksef.environments import host_url
from core.types import KsefEnvironment

OFFLINE_LABEL = "OFFLINE"


def _options(environment: str) -> KsefClientOptions:
    if environment == KsefEnvironment.SIM:
        return KsefClientOptions(base_url=host_url(environment), base_qr_url=f"{host_url(environment)}/qr")
    return KsefClientOptions(base_url=host_url(environment))


def invoice_hash(xml: bytes) -> str:
    """SHA-256 of the invoice file as KSeF states it (Base64)."""
    return base64.b64encode(hashlib.sha256(xml).digest()).decode("ascii")


def invoice_link(environment: str, seller_nip: str, issue_date: date, xml: bytes) -> str:
    service = VerificationLinkService(_options(environment))
    return service.build_invoice_verification_url(seller_nip, issue_date, invoice_hash(xml))


def invoice_qr_png(link: str, ksef_number: str | None) -> bytes:
    """The QR code of `link` with the KSeF number under it (OFFLINE without one)."""
    return add_label_to_qr(generate_qr_png(link, box_size=6, border=2), ksef_number or OFFLINE_LABEL, font_size=12)
