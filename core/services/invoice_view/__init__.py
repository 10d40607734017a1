"""An invoice as a person reads it (issue 11 §9): the stored FA(3) file shown as a document, with the KSeF
verification link and its QR code (KOD I, built by the SDK in core.ksef.verification), and as a PDF.

Views read the local copy only, never KSeF. The link and QR are drawn only for an invoice KSeF has numbered: one
that was never accepted cannot be verified, so none is printed for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.db import session_scope
from core.errors import NotFound
from core.ksef.verification import invoice_link, invoice_qr_png
from core.models import InvoiceDocument
from core.security import Actor, Permission
from core.services.invoice_view.document import InvoiceDocument as Document
from core.services.invoice_view.document import read_invoice
from core.services.invoice_view.pdf import render_pdf
from core.services.scope import invoice_in_office
from core.texts import Text


@dataclass(frozen=True)
class InvoiceView:
    invoice_id: int
    ksef_number: str | None
    status: str
    document: Document
    verification_link: str | None
    qr_png: bytes | None = None


def _stored(actor: Actor, invoice_id: int) -> tuple[bytes, str | None, str, str]:
    """(xml, KSeF number, status, environment) of an invoice of the actor's office."""
    with session_scope() as session:
        invoice, client = invoice_in_office(session, actor, invoice_id)
        stored = session.get(InvoiceDocument, invoice_id)
        if stored is None or stored.xml is None:
            raise NotFound(Text("invoice.no_content"))
        return stored.xml, invoice.ksef_number, invoice.status, client.environment


def invoice_view(*, actor: Actor, invoice_id: int) -> InvoiceView:
    actor.require(Permission.view)
    xml, ksef_number, status, environment = _stored(actor, invoice_id)
    document = read_invoice(xml)
    link = None
    seller_nip = document.seller.identifier.removeprefix("NIP ")
    if ksef_number and document.issue_date and seller_nip.isdigit():
        link = invoice_link(environment, seller_nip, document.issue_date, xml)
    qr = invoice_qr_png(link, ksef_number) if link else None
    return InvoiceView(invoice_id, ksef_number, status, document, link, qr)


def invoice_pdf(*, actor: Actor, invoice_id: int, lang: str = "pl") -> tuple[str, bytes]:
    """(file name, PDF) of the stored invoice, in `lang`."""
    view = invoice_view(actor=actor, invoice_id=invoice_id)
    name = (view.ksef_number or view.document.number or str(invoice_id)).replace("/", "_")
    return f"{name}.pdf", render_pdf(view.document, view.ksef_number, view.verification_link, view.qr_png, lang)
