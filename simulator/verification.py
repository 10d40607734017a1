"""The simulator's stand-in for qr.ksef.mf.gov.pl: KOD I links of invoices it holds (PROTOCOL.md §14).

`GET /qr/invoice/{seller NIP}/{issue date DD-MM-YYYY}/{Base64URL(SHA-256(file))}` answers a small page saying whether
the simulator holds that invoice, so the QR code a console prints for a simulator invoice leads somewhere true.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse

from simulator.runtime import Simulator

PAGE = (
    '<!doctype html><html lang="pl"><head><meta charset="utf-8"><title>Symulator KSeF — weryfikacja faktury</title>'
    "</head><body><h1>{title}</h1><p>{body}</p><p><small>To jest symulator KSeF, nie KSeF.</small></p></body></html>"
)


def _standard_base64(url_hash: str) -> str | None:
    try:
        digest = base64.urlsafe_b64decode(url_hash + "=" * (-len(url_hash) % 4))
    except (binascii.Error, ValueError):
        return None
    return base64.b64encode(digest).decode("ascii") if len(digest) == 32 else None


async def invoice_page(request: Request) -> HTMLResponse:
    sim: Simulator = request.app.state.sim
    nip, day, url_hash = (request.path_params[name] for name in ("nip", "date", "hash"))
    try:
        issue_date = datetime.strptime(day, "%d-%m-%Y").date()  # noqa: DTZ007 - a calendar day, no time
    except ValueError:
        issue_date = None
    digest = _standard_base64(url_hash)
    found = next(
        (
            invoice
            for invoice in sim.state.invoices.values()
            if invoice.invoice_hash == digest
            and invoice.issue_date == issue_date
            and invoice.seller.identifier_value == nip
        ),
        None,
    )
    if found is None:
        page = PAGE.format(
            title="Nie znaleziono faktury", body="Symulator nie ma faktury o tym sprzedawcy, dacie i skrócie pliku."
        )
        return HTMLResponse(page, status_code=404)
    body = (
        f"Faktura {escape(found.invoice_number)} sprzedawcy NIP {escape(nip)} z dnia {issue_date:%d.%m.%Y} "
        f"ma numer KSeF {escape(found.ksef_number)}; plik jest zgodny z zapisanym w symulatorze."
    )
    return HTMLResponse(PAGE.format(title="Faktura jest w symulatorze KSeF", body=body))
