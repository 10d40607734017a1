"""Issue 5's journey in a real browser: a support user sends an invoice for a linked client on Faktury, sees its KSeF
number and downloads the UPO. The UI, a worker and the simulator run as separate processes over real HTTP."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

import ksef_spec
from core.services import invoices
from core.services.linking import credentials, links
from core.services.linking.links import LinkRequest
from core.types import AuthMethod
from tests.e2e.conftest import open_page, settled, sign_in
from tests.simulated import seed_clients

pytestmark = pytest.mark.e2e

SAMPLE = (ksef_spec.SAMPLES_DIR / "fa3" / "csharp-invoice-template-fa-3.xml").read_text(encoding="utf-8")


@pytest.fixture
def linked_client(sim, office) -> tuple[int, str]:
    """A client linked with its KSeF token, prepared through the services (before the UI and worker start, so they
    inherit the simulator's address)."""
    seeded = seed_clients(sim, office, ["no_invoices"])
    client_id, nip = seeded.ids["no_invoices"], seeded.nips["no_invoices"]
    credentials.add_ksef_token(actor=office.support, client_id=client_id, token=seeded.token("no_invoices"))
    assert links.connect_client(
        actor=office.support, client_id=client_id, request=LinkRequest(AuthMethod.ksef_token)
    ).ok
    return client_id, nip


def test_support_sends_an_invoice_sees_its_ksef_number_and_downloads_the_upo(
    linked_client, page, ui_url, worker, office, tmp_path
):
    client_id, nip = linked_client
    upload = tmp_path / "faktura-FV-1.xml"
    upload.write_text(SAMPLE.replace("#nip#", nip).replace("#invoice_number#", "FV/2026/E2E/1"), encoding="utf-8")

    sign_in(page, ui_url, "wsparcie", office.passwords["wsparcie"])
    open_page(page, "Faktury")
    page.get_by_role("tab", name="Wyślij faktury").click()
    settled(page)
    page.locator(".st-key-faktury_send_files_0 input[type=file]").set_input_files(upload)
    expect(page.get_by_text("faktura-FV-1.xml")).to_be_visible()
    settled(page)
    page.locator(".st-key-faktury_send_submit button").click()

    # The worker sends it; the progress fragment sees the job end and the page draws the results.
    expect(page.get_by_text("przyjęta: 1 faktura")).to_be_visible()
    (row,) = invoices.list_invoices(actor=office.support, client_id=client_id).items
    assert row.status == "accepted" and row.ksef_number and row.ksef_number.startswith(nip)
    cells = page.get_by_test_id("stDataFrame").locator('td[role="gridcell"]')
    expect(cells.filter(has_text=row.ksef_number).first).to_be_attached()  # the results table names it
    settled(page)

    with page.expect_download() as download_info:
        page.locator(".st-key-faktury_send_download_upo button").click()
    download = download_info.value
    assert download.suggested_filename == f"UPO-{row.ksef_number}.xml"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    upo = saved.read_bytes()
    assert upo.lstrip().startswith(b"<?xml") and b"Potwierdzenie" in upo
    assert row.ksef_number.encode() in upo
