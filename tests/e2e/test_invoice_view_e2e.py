"""Issue 11 §8–§9 in a real browser: an analyst reads a stored invoice on Faktury like a person (seller, buyer, lines,
totals, the KSeF QR code), downloads it as a PDF, and downloads the filtered list for Excel."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from pypdf import PdfReader

import ksef_spec
from core.types import InvoiceStatus, SubjectType
from tests import seeding
from tests.e2e.conftest import open_page, settled, sign_in

pytestmark = pytest.mark.e2e

KSEF_NUMBER = "5265877635-20251010-0123456789AB-CD"


@pytest.fixture
def stored(office):
    (client_id,) = seeding.add_clients(office, 1)
    xml = (ksef_spec.SAMPLES_DIR / "fa3" / "csharp-invoice-template-fa-3-with-custom-Subject3.xml").read_bytes()
    seeding.add_invoice(client_id, number="FV2026/02/150", subject_type=SubjectType.Subject1, xml=xml.replace(
        b"#nip#", b"5265877635"), status=InvoiceStatus.accepted, ksef_number=KSEF_NUMBER)  # fmt: skip


def test_an_analyst_reads_an_invoice_downloads_its_pdf_and_the_list_for_excel(stored, page, ui_url, office, tmp_path):
    sign_in(page, ui_url, "analityk", office.passwords["analityk"])
    open_page(page, "Faktury")
    view = page.locator(".st-key-faktury_view_invoice")
    expect(view.get_by_text("Faktura nr FV2026/02/150")).to_be_visible()
    expect(view.get_by_text("Szkoła Testowa")).to_be_visible()
    expect(view.get_by_text("Razem brutto: 64 279,92 zł")).to_be_visible()
    expect(view.get_by_role("img")).to_be_visible()  # the QR code
    href = view.get_by_role("link", name="Link weryfikacyjny KSeF").get_attribute("href")
    assert href and "/qr/invoice/5265877635/10-10-2025/" in href
    settled(page)

    with page.expect_download() as pdf_download:
        page.locator(".st-key-faktury_view_pdf button").click()
    assert pdf_download.value.suggested_filename == f"{KSEF_NUMBER}.pdf"
    pdf = tmp_path / "faktura.pdf"
    pdf_download.value.save_as(pdf)
    text = PdfReader(io.BytesIO(pdf.read_bytes())).pages[0].extract_text()
    assert "Szkoła Testowa" in text and "Razem brutto: 64 279,92 zł" in text

    with page.expect_download() as xlsx_download:
        page.get_by_role("button", name="Pobierz jako Excel (XLSX)").click()
    saved = tmp_path / xlsx_download.value.suggested_filename
    xlsx_download.value.save_as(saved)
    rows = list(load_workbook(saved, read_only=True).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("Klient", "NIP klienta", "Kierunek", "Numer faktury")
    assert [row[3] for row in rows[1:]] == ["FV2026/02/150"]
