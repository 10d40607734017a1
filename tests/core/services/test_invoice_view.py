"""An invoice as a person reads it (issue 11 §9): the official FA(3) samples and the simulator's invoices read as
documents, the KSeF verification link and QR from the SDK, a PDF with Polish letters; a file with a DTD is not read."""

from __future__ import annotations

import base64
import hashlib
import io
import random
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest
import sqlalchemy as sa
from PIL import Image
from pypdf import PdfReader

import ksef_spec
from core import db
from core.errors import InvalidInput, NotFound
from core.models import Client
from core.services import invoice_view, invoices
from core.services.invoice_view.document import read_invoice
from core.services.sync.engine import sync_client
from core.settings import get_settings
from core.types import InvoiceStatus, KsefEnvironment, SubjectType
from simulator import invoicegen
from tests import seeding
from tests.conftest import make_office
from tests.linking import link_with_token
from tests.simulated import seed_clients

SAMPLES = sorted((ksef_spec.SAMPLES_DIR / "fa3").glob("*.xml"))
SELLER = "5265877635"
KSEF_NUMBER = "5265877635-20250901-0123456789AB-CD"


def _sample(name: str = "csharp-invoice-template-fa-3.xml") -> bytes:
    text = (ksef_spec.SAMPLES_DIR / "fa3" / name).read_text(encoding="utf-8")
    text = text.replace("#nip#", SELLER).replace("#invoice_number#", "7")
    return text.replace("#invoicing_date#", "2026-11-02").encode()  # the Java sample's placeholder


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_every_official_sample_reads_with_parties_lines_and_totals(path):
    document = read_invoice(_sample(path.name))
    assert document.number and document.issue_date and document.kind == "VAT"
    assert document.seller.name and document.seller.identifier == f"NIP {SELLER}"
    assert document.buyer.name and document.buyer.identifier.startswith("NIP ")
    assert document.lines and all(line.name and line.value is not None for line in document.lines)
    assert document.total_gross == document.total_net + document.total_vat  # the summary adds up as printed


def test_the_csharp_sample_in_detail():
    document = read_invoice(_sample())
    assert (document.seller.name, document.buyer.name) == ("Elektrownia S.A.", "F.H.U. Jan Kowalski")
    assert document.seller.address == ["ul. Kwiatowa 1 m. 2", "00-001 Warszawa"]
    assert [(line.name, line.quantity, line.unit_price, line.value, line.rate) for line in document.lines] == [
        ("Razem za energię czynną", Decimal("20.00"), Decimal("0.90"), Decimal("18.00"), "23"),
        ("Razem za usługi dystrybucji", Decimal("1.00"), Decimal("25.60"), Decimal("25.60"), "23"),
    ]
    assert [(row.field, row.net, row.vat) for row in document.vat_rows] == [
        ("P_13_1", Decimal("43.60"), Decimal("10.03"))
    ]
    assert (document.total_gross, document.to_pay, document.payment_form) == (Decimal("53.63"), Decimal("53.63"), "6")
    assert document.period == (date(2026, 1, 1), date(2026, 2, 28)) and document.payment_due == [date(2026, 3, 15)]
    assert document.bank_accounts == ["73111111111111111111111111"]


def test_the_simulator_s_invoices_read_too():
    rnd = random.Random(11)
    for index in range(20):
        seller, buyer = invoicegen.random_company(rnd), invoicegen.random_company(rnd)
        xml = invoicegen.invoice_xml(
            seller=seller, buyer=buyer, number=f"FV/{index}", issue_date=date(2026, 11, 2),
            created=datetime(2026, 11, 2, 10, tzinfo=UTC), rnd=rnd,
        ).encode()  # fmt: skip
        document = read_invoice(xml)
        assert (document.seller.name, document.buyer.name) == (seller.name, buyer.name)
        assert document.lines and document.total_gross == document.total_net + document.total_vat
        assert sum(line.value for line in document.lines) == document.total_net


@pytest.mark.parametrize(
    ("doctype", "reference"),
    [
        ('<!DOCTYPE Faktura [<!ENTITY secret SYSTEM "file:///etc/hostname">]>', "&secret;"),  # an external entity
        ('<!DOCTYPE Faktura [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>', "&b;"),  # expansion
    ],
)
def test_a_file_declaring_a_dtd_is_not_read(doctype, reference):
    xml = _sample().decode().replace('<?xml version="1.0" encoding="UTF-8"?>', f'<?xml version="1.0"?>{doctype}')
    xml = xml.replace("<Nazwa>Elektrownia S.A.</Nazwa>", f"<Nazwa>{reference}</Nazwa>")
    assert doctype in xml and reference in xml
    with pytest.raises(InvalidInput, match="DTD"):
        read_invoice(xml.encode())


@pytest.fixture
def stored(office):
    (client_id,) = seeding.add_clients(office, 1)
    with db.session_scope(write=True) as session:
        session.execute(sa.update(Client).where(Client.id == client_id).values(environment=KsefEnvironment.TEST))
    xml = _sample("csharp-invoice-template-fa-3-with-custom-Subject3.xml")
    accepted = seeding.add_invoice(client_id, number="FV2026/02/150", subject_type=SubjectType.Subject1,
                                   status=InvoiceStatus.accepted, ksef_number=KSEF_NUMBER, xml=xml)  # fmt: skip
    rejected = seeding.add_invoice(client_id, number="FV2026/02/151", subject_type=SubjectType.Subject1,
                                   status=InvoiceStatus.rejected, xml=xml)  # fmt: skip
    return accepted, rejected, xml


def test_the_view_carries_the_sdk_verification_link_and_its_qr(office, stored):
    accepted, rejected, xml = stored
    view = invoice_view.invoice_view(actor=office.analyst, invoice_id=accepted)
    digest = base64.urlsafe_b64encode(hashlib.sha256(xml).digest()).decode().rstrip("=")
    assert view.verification_link == f"https://qr-test.ksef.mf.gov.pl/invoice/{SELLER}/10-10-2025/{digest}"
    qr = Image.open(io.BytesIO(view.qr_png))
    assert qr.format == "PNG" and qr.height > qr.width > 100  # the code, with the KSeF number under it
    unverifiable = invoice_view.invoice_view(actor=office.analyst, invoice_id=rejected)
    assert unverifiable.verification_link is None and unverifiable.qr_png is None
    other = make_office(name="Inne biuro", account_id="BR-INNE", suffix="2")
    with pytest.raises(NotFound):
        invoice_view.invoice_view(actor=other.manager, invoice_id=accepted)


def test_the_pdf_prints_polish_letters_amounts_dates_and_the_link(office, stored):
    accepted, _rejected, _xml = stored
    name, pdf = invoice_view.invoice_pdf(actor=office.analyst, invoice_id=accepted)
    assert name == f"{KSEF_NUMBER}.pdf" and pdf.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    expected = [
        "Faktura nr FV2026/02/150", f"Numer KSeF: {KSEF_NUMBER}", "Szkoła Testowa", "zamrażarka Zimnotech mk2",
        "1 626,01 zł", "Razem brutto: 64 279,92 zł", "Data wystawienia: 10.10.2025", "Termin płatności: 15.03.2026",
        "Forma płatności: przelew", "qr-test.ksef.mf.gov.pl/invoice/",
    ]  # fmt: skip
    assert [line for line in expected if line not in text] == []
    assert b"DejaVuSans" in pdf  # the font with the Polish letters travels inside the file
    english = invoice_view.invoice_pdf(actor=office.analyst, invoice_id=accepted, lang="en")[1]
    assert "Invoice no. FV2026/02/150" in PdfReader(io.BytesIO(english)).pages[0].extract_text()


def test_an_invoice_received_from_the_simulator_reads_and_its_qr_link_leads_to_the_simulator(sim, office):
    """The simulator's own invoices, received by a real sync: read as documents; their KOD I link (SIM) answers."""
    seeded = seed_clients(sim, office, ["healthy"])
    link_with_token(seeded, "healthy")
    sync_client(actor=office.support, client_id=seeded.ids["healthy"])
    received = invoices.list_invoices(actor=office.support, client_id=seeded.ids["healthy"]).items
    assert received
    for row in received:
        view = invoice_view.invoice_view(actor=office.analyst, invoice_id=row.id)
        assert view.document.number == row.invoice_number and view.document.total_gross is not None
        assert view.verification_link and view.verification_link.startswith(f"{get_settings().sim_url}/qr/invoice/")
    answer = httpx.get(view.verification_link, timeout=10)
    assert answer.status_code == 200 and row.ksef_number in answer.text
    forged = view.verification_link[:-5] + "AAAAA"
    assert httpx.get(forged, timeout=10).status_code == 404
