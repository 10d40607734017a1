"""Faktury: the local invoice list by role, filters, paging, downloads; sending (offline refusals at once, the job's
progress, its results with KSeF numbers, against the simulator); the manager's "Synchronizuj wszystkich"."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

import ksef_spec
from core import db
from core.ids import validate_ksef_number
from core.jobs import queue
from core.jobs.worker import drain
from core.models import JobRun
from core.services import invoices as invoice_service
from core.services.linking import credentials, links
from core.services.linking.links import LinkRequest
from core.types import AuthMethod, InvoiceStatus, LinkStatus, SubjectType
from tests import seeding
from tests.dashboard.conftest import FAKTURY, open_page, registered_pages, table, values, whole_session_state
from tests.simulated import seed_clients

SAMPLE = (ksef_spec.SAMPLES_DIR / "fa3" / "csharp-invoice-template-fa-3.xml").read_text(encoding="utf-8")
HEADERS = ["Klient", "Kierunek", "Numer faktury", "Data wystawienia", "Kontrahent", "Brutto", "Status",
           "Numer KSeF", "UPO", "Uwagi"]  # fmt: skip
KSEF_NUMBER = "5265877635-20261102-0100000000AB-CD"


def invoice_xml(nip: str, number: str) -> bytes:
    return SAMPLE.replace("#nip#", nip).replace("#invoice_number#", number).encode()


@pytest.fixture
def on_faktury(signed_in):
    def sign_as(role: str):
        return open_page(signed_in(role), FAKTURY)

    return sign_as


@pytest.fixture
def invoices(office):
    """Two clients: a purchase received, a sale accepted with its UPO, a duplicate and a rejected sale."""
    ids = seeding.add_clients(office, 2)
    seeding.add_invoice(ids[0], number="FZ/1", gross=123_456, issue_date=date(2026, 10, 5), ksef_number="K-1",
                        seller_name="Hurtownia", seller_nip="5265877635")  # fmt: skip
    seeding.add_invoice(ids[0], number="FS/2", subject_type=SubjectType.Subject1, status=InvoiceStatus.accepted,
                        ksef_number=KSEF_NUMBER, upo=b"<UPO>" + KSEF_NUMBER.encode() + b"</UPO>",
                        issue_date=date(2026, 11, 2), buyer_name="Kupiec", buyer_identifier="1111111111")  # fmt: skip
    seeding.add_invoice(ids[1], number="FS/3", subject_type=SubjectType.Subject1, status=InvoiceStatus.duplicate,
                        original_ksef_number="ORIG-3", issue_date=date(2026, 11, 3))  # fmt: skip
    seeding.add_invoice(ids[1], number="FS/4", subject_type=SubjectType.Subject1, status=InvoiceStatus.rejected,
                        error_code=450, error_details=["Błąd weryfikacji semantyki dokumentu faktury"],
                        issue_date=date(2026, 11, 4))  # fmt: skip
    return ids


@pytest.mark.parametrize("role", ["manager", "support", "analyst"])
def test_every_role_has_the_page(signed_in, role):
    assert str(FAKTURY) in registered_pages(signed_in(role))


def test_the_analyst_reads_the_list_only(on_faktury, invoices):
    at = on_faktury("analyst")
    frame = table(at)
    assert list(frame.columns) == HEADERS
    assert frame["Numer faktury"].tolist() == ["FS/4", "FS/3", "FS/2", "FZ/1"]  # newest first
    assert not at.tabs and not at.file_uploader
    assert "faktury_sync_all" not in {b.key for b in at.button}
    assert "Masz dostęp tylko do odczytu." in values(at.caption)
    assert {b.key for b in at.download_button} == {
        "faktury_download_xml", "faktury_download_upo", "faktury_export_xlsx", "faktury_export_csv", "faktury_view_pdf",
    }  # fmt: skip


def test_rows_show_polish_formats_and_outcomes(on_faktury, invoices):
    frame = table(on_faktury("support")).set_index("Numer faktury")
    assert frame.loc["FZ/1"].tolist()[1:] == [
        "zakup", "05.10.2026", "Hurtownia (NIP 5265877635)", "1 234,56 zł", "odebrana", "K-1", "", "",
    ]  # fmt: skip
    assert frame.loc["FS/2", "Kierunek"] == "sprzedaż" and frame.loc["FS/2", "UPO"] == "tak"
    assert frame.loc["FS/2", "Kontrahent"] == "Kupiec (1111111111)"
    assert frame.loc["FS/3", "Numer KSeF"] == "ORIG-3"
    assert frame.loc["FS/3", "Uwagi"] == "duplikat: KSeF przyjął tę fakturę wcześniej jako ORIG-3"
    assert frame.loc["FS/4", "Uwagi"] == "kod 450: Błąd weryfikacji semantyki dokumentu faktury"


def test_filters_narrow_the_list(on_faktury, invoices):
    at = on_faktury("analyst")
    at.selectbox(key="faktury_client").select(invoices[1]).run()
    assert table(at)["Numer faktury"].tolist() == ["FS/4", "FS/3"]
    at.selectbox(key="faktury_client").select(None).run()
    at.selectbox(key="faktury_direction").select("Subject2").run()
    assert table(at)["Numer faktury"].tolist() == ["FZ/1"]
    at.selectbox(key="faktury_direction").select("").run()
    at.multiselect(key="faktury_status").select("accepted").select("duplicate").run()
    assert table(at)["Numer faktury"].tolist() == ["FS/3", "FS/2"]
    at.multiselect(key="faktury_status").unselect("accepted").unselect("duplicate").run()
    at.date_input(key="faktury_date_from").set_value(date(2026, 11, 3)).run()
    assert table(at)["Numer faktury"].tolist() == ["FS/4", "FS/3"]
    at.date_input(key="faktury_date_to").set_value(date(2026, 11, 3)).run()
    assert table(at)["Numer faktury"].tolist() == ["FS/3"]
    at.date_input(key="faktury_date_from").set_value(None)
    at.date_input(key="faktury_date_to").set_value(None).run()
    at.text_input(key="faktury_search").input("hurtow").run()
    assert table(at)["Numer faktury"].tolist() == ["FZ/1"]
    at.text_input(key="faktury_search").input("nic-takiego").run()
    assert "Brak faktur spełniających kryteria." in values(at.info)


def test_the_list_pages_through_many_invoices(on_faktury, office):
    client = seeding.add_clients(office, 1)[0]
    for number in range(1, 61):
        seeding.add_invoice(client, number=f"P/{number:02d}", issue_date=date(2026, 9, 1), xml=None)
    at = on_faktury("analyst")
    assert len(table(at)) == 50 and "Faktury 1–50 z 60" in values(at.caption)
    at.number_input(key="faktury_page").set_value(2).run()
    assert len(table(at)) == 10 and "Faktury 51–60 z 60" in values(at.caption)


def test_downloads_offer_the_xml_and_the_upo_of_the_chosen_invoice(on_faktury, invoices, office):
    at = on_faktury("analyst")
    ids = {row.invoice_number: row.id for row in _rows(office)}
    assert at.selectbox(key="faktury_pick").value == ids["FS/4"]  # the first row shown
    at.selectbox(key="faktury_pick").select(ids["FZ/1"]).run()
    upo = at.download_button(key="faktury_download_upo")
    assert upo.disabled and upo.help == "UPO ma tylko faktura wysłana z konsoli i przyjęta przez KSeF."
    assert not at.download_button(key="faktury_download_xml").disabled
    at.selectbox(key="faktury_pick").select(ids["FS/2"]).run()
    assert not at.download_button(key="faktury_download_upo").disabled
    assert at.download_button(key="faktury_download_upo").label == "Pobierz UPO"


def test_support_gets_the_send_tab_but_no_sync_all(on_faktury, invoices):
    at = on_faktury("support")
    assert [tab.label for tab in at.tabs] == ["Faktury", "Wyślij faktury"]
    assert "faktury_sync_all" not in {b.key for b in at.button}
    assert "Żaden klient nie ma działającego połączenia z KSeF — połącz go najpierw." in values(at.info)


def test_refused_files_are_named_at_once_and_nothing_is_queued(on_faktury, office):
    client = seeding.add_clients(office, 1)[0]
    seeding.set_link_status(client, LinkStatus.linked)
    at = on_faktury("support")
    at.file_uploader(key="faktury_send_files_0").set_value(
        [("zly.xml", b"<Faktura>", "text/xml"), ("obcy.xml", invoice_xml("1111111111", "X/1"), "text/xml")]
    )
    at.run()
    at.button(key="faktury_send_submit").click().run()
    errors, texts = values(at.error), values(at.text)
    assert errors[:2] == ["Plik zly\\.xml odrzucony przed wysłaniem:", "Plik obcy\\.xml odrzucony przed wysłaniem:"]
    assert texts[0].startswith("- wiersz 1:")
    assert texts[1].startswith("- fakturę wystawił NIP 1111111111")
    assert "Nic nie wysłano: żaden plik nie przeszedł sprawdzenia." in values(at.warning)
    assert queue.get_job(1) is None
    assert at.file_uploader(key="faktury_send_files_1").value in (None, [])  # a fresh, empty uploader


def test_sending_without_files_asks_for_one(on_faktury, office):
    client = seeding.add_clients(office, 1)[0]
    seeding.set_link_status(client, LinkStatus.linked)
    at = on_faktury("manager")
    at.button(key="faktury_send_submit").click().run()
    assert values(at.error) == ["Popraw dane:\n- Wybierz co najmniej jeden plik faktury XML."]


def test_the_progress_bar_follows_the_sending_job(on_faktury, office):
    client = seeding.add_clients(office, 1, seed=5)[0]
    seeding.set_link_status(client, LinkStatus.linked)
    nip = _nip(client)
    at = on_faktury("support")
    at.file_uploader(key="faktury_send_files_0").set_value(
        [(f"{n}.xml", invoice_xml(nip, f"F/{n}"), "text/xml") for n in range(1, 5)]
    )
    at.run()
    at.button(key="faktury_send_submit").click().run()
    assert not at.error
    job_id = at.session_state["faktury_send_batch"]["job_id"]
    assert "Zadanie czeka na wykonawcę…" in [bar.text for bar in at.get("progress")]
    assert [job.id for job in queue.claim("test-worker", kinds=["send_invoices"])] == [job_id]
    queue.set_progress(job_id, 1, 4)
    at.run()
    (bar,) = at.get("progress")
    assert bar.text == "Wysyłka faktur — sprawdzone statusy: 1 z 4" and bar.value == 25


def test_support_sends_an_invoice_and_sees_its_ksef_number_and_upo(on_faktury, sim, office):
    seeded = seed_clients(sim, office, ["no_invoices"])
    client, nip = seeded.ids["no_invoices"], seeded.nips["no_invoices"]
    credentials.add_ksef_token(actor=office.support, client_id=client, token=seeded.token("no_invoices"))
    assert links.connect_client(actor=office.support, client_id=client, request=LinkRequest(AuthMethod.ksef_token)).ok
    at = on_faktury("support")
    at.file_uploader(key="faktury_send_files_0").set_value(
        [("dobra.xml", invoice_xml(nip, "FV/2026/11/1"), "text/xml"), ("zla.xml", b"<x/>", "text/xml")]
    )
    at.run()
    at.button(key="faktury_send_submit").click().run()
    assert values(at.error)[0] == "Plik zla\\.xml odrzucony przed wysłaniem:"
    assert drain() == 1
    at.run()
    assert values(at.success) == ["przyjęta: 1 faktura"]
    frames = [frame.value for frame in at.dataframe]
    results = next(frame for frame in frames if "Plik" in frame.columns)
    assert results["Plik"].tolist() == ["dobra.xml"] and results["Status"].tolist() == ["przyjęta"]
    ksef_number = results["Numer KSeF"].iloc[0]
    assert validate_ksef_number(ksef_number).startswith(nip)
    assert at.download_button(key="faktury_send_download_upo").label == "Pobierz UPO"
    assert ksef_number in table_of_list(at)["Numer KSeF"].tolist()  # the list tab shows it too
    at.button(key="faktury_send_dismiss").click().run()
    assert "faktury_send_batch" not in at.session_state
    assert "<Faktura" not in whole_session_state(at)  # the upload itself is not kept


def test_the_manager_syncs_the_whole_fleet(on_faktury, office):
    ids = seeding.add_clients(office, 3)
    seeding.set_link_status(ids[0], LinkStatus.linked)
    seeding.set_link_status(ids[1], LinkStatus.degraded)
    at = on_faktury("manager")
    at.button(key="faktury_sync_all").click().run()
    assert values(at.success) == ["Zlecono synchronizację 2 klientów."]
    with db.session_scope() as session:
        kinds = session.execute(sa.select(JobRun.kind, JobRun.subject)).all()
    assert sorted(kinds) == [("sync", f"client:{ids[0]}"), ("sync", f"client:{ids[1]}")]


def test_sync_all_with_no_linked_client_says_so(on_faktury, office):
    seeding.add_clients(office, 1)
    at = on_faktury("manager")
    at.button(key="faktury_sync_all").click().run()
    assert values(at.success) == ["Żaden klient nie ma działającego połączenia — nie ma czego synchronizować."]


def table_of_list(at):
    return next(frame.value for frame in at.dataframe if "Kierunek" in frame.value.columns)


def _rows(office):
    from core.services import invoices

    return invoices.list_invoices(actor=office.manager).items


def _nip(client_id: int) -> str:
    from core.models import Client

    with db.session_scope() as session:
        return session.get(Client, client_id).nip


def test_the_filtered_list_is_offered_as_xlsx_and_csv(on_faktury, invoices, monkeypatch):
    """Issue 11 §8: the list (all the filters match, not one page) downloads for Excel; a list too long for a
    download says what to do instead (the files themselves: test_invoice_export.py)."""
    at = on_faktury("analyst")
    xlsx, csv = at.download_button(key="faktury_export_xlsx"), at.download_button(key="faktury_export_csv")
    assert (xlsx.label, csv.label) == ("Pobierz jako Excel (XLSX)", "Pobierz jako CSV")
    assert (
        not xlsx.disabled and xlsx.help == "Wszystkie faktury spełniające filtry powyżej (4), nie tylko bieżąca strona."
    )
    monkeypatch.setattr(invoice_service, "EXPORT_MAX_ROWS", 3)
    at.run()
    assert at.download_button(key="faktury_export_xlsx").disabled
    assert "Lista ma 4 faktur, a eksport obejmuje najwyżej 3: zawęź filtr (klient, daty, status)." in values(at.caption)


def test_the_picked_invoice_reads_as_a_document_with_its_qr_code_and_pdf(on_faktury, office):
    """Issue 11 §9 on Faktury (the document itself and the PDF: tests/core/services/test_invoice_view.py)."""
    (client_id,) = seeding.add_clients(office, 1)
    xml = invoice_xml("5265877635", "FV/QR/1")
    seeding.add_invoice(client_id, number="FA/GRQMB-FV/QR/1/05/2025", subject_type=SubjectType.Subject1,
                        status=InvoiceStatus.accepted, ksef_number=KSEF_NUMBER, xml=xml)  # fmt: skip
    seeding.add_invoice(client_id, number="FS/NO", subject_type=SubjectType.Subject1, status=InvoiceStatus.rejected,
                        xml=xml, issue_date=date(2026, 11, 1))  # fmt: skip
    at = on_faktury("analyst")
    markdown = "\n".join(values(at.markdown))
    assert "**Sprzedawca**" in markdown and "F\\.H\\.U\\. Jan Kowalski" in markdown
    assert len(at.get("image")) == 1  # the QR code of KOD I
    assert "/invoice/5265877635/01-09-2025/" in at.get("link_button")[0].proto.url
    assert at.download_button(key="faktury_view_pdf").label == "Pobierz PDF"
    rejected = next(row.id for row in _rows(office) if row.invoice_number == "FS/NO")
    at.selectbox(key="faktury_pick").select(rejected).run()
    assert not at.get("image") and "Faktura nie ma numeru KSeF, więc nie ma kodu weryfikacyjnego." in values(at.caption)


def test_validation_messages_are_shown_as_the_characters_they_are():
    from streamlit.testing.v1 import AppTest

    script = (
        "from dashboard.faktury.send import show_refusals\n"
        "show_refusals({'f_1_.xml': ['element </P_2,> nie pasuje do wzorca 1-9\\\\d{7}']})\n"
    )
    at = AppTest.from_string(script, default_timeout=30).run()
    assert values(at.text) == ["- element </P_2,> nie pasuje do wzorca 1-9\\d{7}"]
    assert values(at.error) == ["Plik f\\_1\\_\\.xml odrzucony przed wysłaniem:"]
