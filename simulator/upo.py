"""UPO (official receipt) documents in the upo-v4-3 shape, valid against the official XSD.

The XSD fixes `NazwaPodmiotuPrzyjmujacego` to "Ministerstwo Finansów"; real TE/TR receipts add an environment suffix
and therefore fail the XSD (PROTOCOL.md §17), so the simulator keeps the XSD value. Real UPOs are XAdES-signed by MF;
the XSD has no place for a signature, so these are unsigned. Also the URLs of UPO and export downloads: pre-signed
style (an HMAC over path and expiry), served by the simulator without a token.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

import ksef_spec
from simulator.crypto import storage_signature
from simulator.state import AuthOperation, Invoice, OnlineSession
from simulator.timeutil import WARSAW

if TYPE_CHECKING:
    from simulator.runtime import Simulator

PAGE_SIZE = 10_000  # a session UPO page holds at most 10,000 invoices
URL_LIFETIME = timedelta(hours=1)  # the contract gives an expiry field but no value


def _when(value: datetime) -> str:
    return value.astimezone(WARSAW).isoformat(timespec="milliseconds")


def _document(invoice: Invoice) -> str:
    return (
        f"<Dokument><NipSprzedawcy>{invoice.seller.identifier_value}</NipSprzedawcy>"
        f"<NumerKSeFDokumentu>{invoice.ksef_number}</NumerKSeFDokumentu>"
        f"<NumerFaktury>{escape(invoice.invoice_number)}</NumerFaktury>"
        f"<DataWystawieniaFaktury>{invoice.issue_date.isoformat()}</DataWystawieniaFaktury>"
        f"<DataPrzeslaniaDokumentu>{_when(invoice.invoicing_date)}</DataPrzeslaniaDokumentu>"
        f"<DataNadaniaNumeruKSeF>{_when(invoice.acquisition_date)}</DataNadaniaNumeruKSeF>"
        f"<SkrotDokumentu>{invoice.invoice_hash}</SkrotDokumentu>"
        f"<TrybWysylki>{invoice.invoicing_mode}</TrybWysylki></Dokument>"
    )


def build(
    session: OnlineSession,
    authentication: AuthOperation | None,
    invoices: list[Invoice],
    page: tuple[int, int, int, int] | None = None,
) -> bytes:
    """One invoice's UPO (page None) or one page of a session UPO: (page, pages, first ordinal, total)."""
    if authentication is not None and authentication.token_reference:
        proof = f"<NumerReferencyjnyTokenaKSeF>{authentication.token_reference}</NumerReferencyjnyTokenaKSeF>"
    else:
        digest = authentication.auth_document_hash if authentication and authentication.auth_document_hash else ""
        proof = f"<SkrotDokumentuUwierzytelniajacego>{digest or '0' * 43 + '='}</SkrotDokumentuUwierzytelniajacego>"
    description = ""
    if page is not None:
        number, pages, first, total = page
        description = (
            f"<OpisPotwierdzenia><Strona>{number}</Strona><LiczbaStron>{pages}</LiczbaStron>"
            f"<ZakresDokumentowOd>{first}</ZakresDokumentowOd>"
            f"<ZakresDokumentowDo>{first + len(invoices) - 1}</ZakresDokumentowDo>"
            f"<CalkowitaLiczbaDokumentow>{total}</CalkowitaLiczbaDokumentow></OpisPotwierdzenia>"
        )
    text = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<Potwierdzenie xmlns="{ksef_spec.UPO_NAMESPACE}">'
        "<NazwaPodmiotuPrzyjmujacego>Ministerstwo Finansów</NazwaPodmiotuPrzyjmujacego>"
        f"<NumerReferencyjnySesji>{session.reference_number}</NumerReferencyjnySesji>"
        f"<Uwierzytelnienie><IdKontekstu><Nip>{session.context_nip}</Nip></IdKontekstu>{proof}</Uwierzytelnienie>"
        f"{description}<NazwaStrukturyLogicznej>Schemat_FA(3)_v1-0E.xsd</NazwaStrukturyLogicznej>"
        f"<KodFormularza>{escape(session.form_code.get('systemCode', 'FA (3)'))}</KodFormularza>"
        f"{''.join(_document(invoice) for invoice in invoices)}</Potwierdzenie>"
    )
    return text.encode("utf-8")


def presigned_url(sim: Simulator, base_url: str, path: str) -> tuple[str, datetime]:
    expires = sim.now() + URL_LIFETIME
    stamp = int(expires.timestamp())
    signature = storage_signature(sim.state.secret, path, stamp)
    return f"{base_url}{path}?se={stamp}&sig={signature}", expires
