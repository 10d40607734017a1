"""The Klient page through the real entry script: tabs by role, company key, link actions, credentials, signature
with its countdown, rights doctor, self-test, sync, problems and history. KSeF is the simulator over HTTP."""

from __future__ import annotations

import re

import pytest

import ksef_spec
from core import db
from core.jobs.worker import drain
from core.models import ClientCreate, Link
from core.services.clients import register as clients
from core.services.linking import credentials, links
from core.services.linking import keys as company_keys
from core.types import AuthMethod, LinkStatus
from tests import seeding
from tests.dashboard.conftest import buttons, frame_with, open_client, open_page, values, whole_session_state
from tests.factories import valid_nips
from tests.linking import link_with_token
from tests.simulated import seed_clients

ALL_TABS = [
    "Połączenie", "Poświadczenia", "Uprawnienia i autotest", "Synchronizacja", "Faktury", "Problemy i historia",
]  # fmt: skip


def add_clients(office, count: int) -> list[int]:
    return [
        clients.add_client(actor=office.manager, data=ClientCreate(nip=nip, name=f"Firma {index}")).id
        for index, nip in enumerate(valid_nips(count, seed=17), start=1)
    ]


def tab_labels(at) -> list[str]:
    return [tab.label for tab in at.tabs]


def markdown(at) -> str:
    return "\n".join(values(at.markdown))


@pytest.mark.parametrize("role", ["manager", "support"])
def test_staff_see_every_tab_and_the_company_key(signed_in, office, role):
    client_id = add_clients(office, 1)[0]
    at = open_client(signed_in(role), client_id)
    assert not at.exception and values(at.title) == ["Firma 1"]
    assert tab_labels(at) == ALL_TABS
    key = company_keys.get_company_key(actor=office.manager, client_id=client_id)
    assert values(at.code) == [key]
    assert "niepołączony" in markdown(at)
    assert "Klient nie jest jeszcze połączony z KSeF." in values(at.info)
    assert {"klient_key_verify", "klient_key_reissue", "klient_connect"} <= buttons(at)


def test_analyst_reads_without_key_credentials_or_actions(signed_in, office):
    client_id = add_clients(office, 1)[0]
    at = open_client(signed_in("analyst"), client_id)
    assert not at.exception
    assert tab_labels(at) == ["Połączenie", "Synchronizacja", "Faktury", "Problemy i historia"]
    assert not at.code and not at.text_input and not at.file_uploader
    assert buttons(at) == {"logout"}
    assert "Masz dostęp tylko do odczytu: bez poświadczeń, klucza firmy i operacji." in values(at.caption)
    at = open_client(at, client_id, tab="Problemy i historia")
    assert "dodanie klienta" in frame_with(at, "Zdarzenie")["Zdarzenie"].tolist()


def test_the_picker_switches_the_client(signed_in, office):
    first, second = add_clients(office, 2)
    at = open_client(signed_in("support"), first)
    at.selectbox(key="klient_pick").select(second).run()
    assert values(at.title) == ["Firma 2"] and at.session_state["klient_selected"] == second


def test_a_row_click_in_klienci_opens_the_client(signed_in, office):
    _, second = add_clients(office, 2)
    at = open_page(signed_in("analyst"), "klienci")
    at.session_state["klienci_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert values(at.title) == ["Firma 2"] and at.session_state["klient_selected"] == second


def test_a_wrong_key_shows_what_is_wrong_and_the_fix(signed_in, office):
    first, second = add_clients(office, 2)
    other_key = company_keys.get_company_key(actor=office.manager, client_id=second)
    at = open_client(signed_in("support"), first)
    at.text_input(key="klient_key_check").input(other_key)
    at.button(key="klient_key_verify").click().run()
    (message,) = values(at.error)
    assert message.startswith("Ten klucz należy do firmy Firma 2 (NIP ")
    assert ", a nie do Firma 1 (NIP " in message
    assert "**Co zrobić:** Użyj klucza tej firmy (przycisk „Użyj klucza tej firmy”)." in message
    at.text_input(key="klient_key_check").input(company_keys.get_company_key(actor=office.manager, client_id=first))
    at.button(key="klient_key_verify").click().run()
    assert values(at.success) == ["Klucz firmy jest poprawny."] and not at.error


def test_manager_reissues_the_key_after_confirming(signed_in, office):
    client_id = add_clients(office, 1)[0]
    old = company_keys.get_company_key(actor=office.manager, client_id=client_id)
    at = open_client(signed_in("manager"), client_id)
    at.button(key="klient_key_reissue").click().run()
    assert any("Unieważnić klucz firmy **Firma 1**" in text for text in values(at.markdown))
    at.button(key="klient_key_reissue_confirm").click().run()
    fresh = company_keys.get_company_key(actor=office.manager, client_id=client_id)
    assert fresh != old and values(at.code) == [fresh]
    assert values(at.success) == ["Wydano nowy klucz firmy **Firma 1**; stary został unieważniony."]
    assert "klient_key_reissue_confirm" not in buttons(at)


def test_manager_unlinks_after_confirming(signed_in, office):
    client_id = add_clients(office, 1)[0]
    with db.session_scope(write=True) as session:
        session.add(Link(client_id=client_id, environment="SIM", auth_method=AuthMethod.ksef_token))
    at = open_client(signed_in("manager"), client_id)
    at.button(key="klient_unlink").click().run()
    at.button(key="klient_unlink_cancel").click().run()
    assert "klient_unlink_confirm" not in buttons(at) and "klient_unlink" in buttons(at)
    at.button(key="klient_unlink").click().run()
    at.button(key="klient_unlink_confirm").click().run()
    assert values(at.success) == ["Rozłączono klienta **Firma 1** z KSeF."]
    assert "klient_unlink" not in buttons(at)


def test_support_may_not_unlink(signed_in, office):
    client_id = add_clients(office, 1)[0]
    with db.session_scope(write=True) as session:
        session.add(Link(client_id=client_id, environment="SIM", auth_method=AuthMethod.ksef_token))
    at = open_client(signed_in("support"), client_id)
    assert {"klient_verify", "klient_use_key"} <= buttons(at) and "klient_unlink" not in buttons(at)


def test_token_added_in_the_form_never_stays_in_session_state(sim, signed_in, office):
    seeded = seed_clients(sim, office, ["healthy"])
    client_id = seeded.ids["healthy"]
    token = seeded.token("healthy")
    at = open_client(signed_in("support"), client_id, tab="Poświadczenia")
    at.text_input(key="klient_token_value").input(token)
    at.text_input(key="klient_token_label").input("Token od klienta")
    at.button(key="klient_token_submit").click().run()
    assert values(at.success) == ["Dodano token KSeF **Token od klienta**."]
    assert at.text_input(key="klient_token_value").value == ""
    assert token not in whole_session_state(at)
    frame = at.dataframe[0].value
    assert frame["Rodzaj"].tolist() == ["token KSeF"] and frame["Status"].tolist() == ["aktywny"]


def test_connect_verify_rights_and_self_test(sim, signed_in, office):
    seeded = seed_clients(sim, office, ["healthy"])
    client_id = seeded.ids["healthy"]
    credentials.add_ksef_token(actor=office.support, client_id=client_id, token=seeded.token("healthy"))
    at = open_client(signed_in("support"), client_id)
    at.checkbox(key="klient_connect_send").check()
    at.button(key="klient_connect").click().run()
    assert not at.exception and not at.error
    assert values(at.success) == ["połączenie działa (status: połączony)."]
    assert "połączony" in markdown(at) and "**Metoda:** token KSeF" in markdown(at)

    at.button(key="klient_verify").click().run()
    assert values(at.success) == ["połączenie działa (status: połączony)."]

    at = open_client(at, client_id, tab="Uprawnienia i autotest")
    at.button(key="klient_rights_check").click().run()
    needs = frame_with(at, "Spełnione")
    assert needs["Spełnione"].tolist()[:2] == ["tak", "tak"]
    assert "Biuro ma wszystkie potrzebne uprawnienia." in values(at.success)
    assert values(at.code) == ["Biuro ma wszystkie potrzebne uprawnienia; klient nie musi nic robić."]

    at.button(key="klient_selftest_run").click().run()
    steps = frame_with(at, "Krok")
    assert steps["Krok"].tolist()[0] == "DNS i TLS" and set(steps["Wynik"]) == {"udany"}
    assert all(re.fullmatch(r"\d[\d ]* ms", time) for time in steps["Czas"])
    assert "Wszystkie kroki autotestu przeszły." in values(at.success)


def test_rights_doctor_writes_the_instruction_and_self_test_names_the_failure(sim, signed_in, office):
    seeded = seed_clients(sim, office, ["rights_missing"])
    client_id = seeded.ids["rights_missing"]
    credentials.add_ksef_token(actor=office.support, client_id=client_id, token=seeded.token("rights_missing"))
    links.connect_client(actor=office.support, client_id=client_id, request=links.LinkRequest(AuthMethod.ksef_token))
    at = open_client(signed_in("support"), client_id, tab="Uprawnienia i autotest")
    at.button(key="klient_rights_check").click().run()
    assert values(at.warning) == ["Brakuje: Przeglądanie faktur (InvoiceRead)"]
    (instruction,) = values(at.code)
    assert "Generuj token" in instruction and "Przeglądanie faktur (InvoiceRead)" in instruction

    sim.set_faults(unavailableSeconds=300)
    try:
        at.button(key="klient_selftest_run").click().run()
    finally:
        sim.clear_faults()
    (failure,) = values(at.error)
    assert failure.startswith("**Nie przeszedł krok: Dostępność KSeF (Latarnia)**")
    assert "**Przyczyna:** " in failure and "**Co zrobić:** " in failure


def test_rights_check_of_a_client_without_a_link_is_refused_in_polish(signed_in, office):
    client_id = add_clients(office, 1)[0]
    at = open_client(signed_in("support"), client_id, tab="Uprawnienia i autotest")
    at.button(key="klient_rights_check").click().run()
    assert values(at.error) == ["Klient Firma 1 nie jest połączony z KSeF."]


def test_signature_in_the_simulator_links_and_shows_when_to_sign_again(sim, signed_in, office):
    seeded = seed_clients(sim, office, ["healthy"])
    client_id = seeded.ids["healthy"]
    at = open_client(signed_in("support"), client_id)
    at.selectbox(key="klient_connect_method").select(AuthMethod.qualified_signature).run()
    at.button(key="klient_signature_start").click().run()
    (bar,) = at.get("progress")
    assert re.fullmatch(r"Pozostało (09:5\d|10:00) na wgranie podpisanego pliku", bar.text), bar.text
    assert at.session_state["klient_signature"]["client_id"] == client_id
    at.button(key="klient_signature_simulator").click().run()
    assert not at.error, values(at.error)
    assert values(at.success) == ["połączenie działa (status: połączony)."]
    assert "klient_signature" not in at.session_state
    (reauth,) = values(at.info)
    assert reauth.startswith("Ponowna autoryzacja podpisem będzie potrzebna do ")
    assert "**Metoda:** podpis kwalifikowany" in markdown(at)


def test_an_unsigned_file_is_refused_and_the_uploader_emptied(sim, signed_in, office):
    seeded = seed_clients(sim, office, ["healthy"])
    client_id = seeded.ids["healthy"]
    at = open_client(signed_in("support"), client_id)
    at.selectbox(key="klient_connect_method").select(AuthMethod.trusted_profile).run()
    at.button(key="klient_signature_start").click().run()
    xml = at.session_state["klient_signature"]["xml"].encode()
    (uploader,) = at.file_uploader
    uploader.upload("AuthTokenRequest.xml", xml, "application/xml")
    at.run()
    at.button(key="klient_signature_submit").click().run()
    assert values(at.error) == [
        "Popraw dane:\n- Plik nie jest podpisany: podpisz go podpisem kwalifikowanym lub Profilem Zaufanym."
    ]
    assert at.file_uploader[0].key != uploader.key  # a fresh, empty uploader


def test_sync_now_runs_a_job_and_then_waits_for_the_15_minute_rule(sim, signed_in, office):
    seeded = seed_clients(sim, office, ["healthy"])
    link_with_token(seeded, "healthy")
    client_id = seeded.ids["healthy"]
    at = open_client(signed_in("support"), client_id, tab="Synchronizacja")
    assert values(at.info) == ["Kompletność nieznana: synchronizacja nie objęła jeszcze sprzedaży i zakupów."]
    at.button(key="klient_sync_now").click().run()
    assert "Zadanie czeka na wykonawcę…" in [bar.text for bar in at.get("progress")]
    assert drain() == 1
    at.run()
    assert values(at.success)[-1].startswith("Synchronizacja zakończona: nowe faktury: ")
    assert values(at.success)[0].startswith("Faktury kompletne do ")
    assert frame_with(at, "Kierunek")["Kierunek"].tolist() == ["sprzedaż", "zakupy"]
    at.button(key="klient_sync_dismiss").click().run()
    at.button(key="klient_sync_now").click().run()
    (scheduled,) = values(at.info)
    assert "nie częściej niż co 15 minut" in scheduled


def test_open_problems_and_history(sim, signed_in, office):
    seeded = seed_clients(sim, office, ["token_revoked"])
    client_id = seeded.ids["token_revoked"]
    credentials.add_ksef_token(actor=office.support, client_id=client_id, token=seeded.token("token_revoked"))
    outcome = links.connect_client(actor=office.support, client_id=client_id, request=links.LinkRequest("ksef_token"))
    assert outcome.status == LinkStatus.action_required
    at = open_client(signed_in("support"), client_id, tab="Problemy i historia")
    assert any(text.startswith("**Nieważne poświadczenie** — ") for text in values(at.markdown))
    assert "klient_bundle_1" in {element.key for element in at.get("download_button")}
    history = frame_with(at, "Zdarzenie")
    assert history["Zdarzenie"].tolist() == ["połączenie z KSeF", "dodanie poświadczenia"]  # seeded without events
    assert history["Kto"].tolist() == ["wsparcie", "wsparcie"]


def test_the_invoices_tab_shows_a_stored_invoice_as_a_document(signed_in, office):
    """Issue 11 §9 on the Klient page: the client's invoice read like a person (the document itself:
    tests/core/services/test_invoice_view.py)."""
    (client_id,) = add_clients(office, 1)
    xml = (ksef_spec.SAMPLES_DIR / "fa3" / "csharp-invoice-template-fa-3.xml").read_bytes()
    xml = xml.replace(b"#nip#", b"5265877635").replace(b"#invoice_number#", b"9")
    seeding.add_invoice(client_id, number="FA/GRQMB-9/05/2025", ksef_number="5265877635-20250901-0123456789AB-CD",
                        xml=xml)  # fmt: skip
    at = open_client(signed_in("analyst"), client_id, tab="Faktury")
    assert not at.exception
    text = markdown(at)
    assert "Faktura nr FA/GRQMB\\-9/05/2025" in text and "Elektrownia S\\.A\\." in text
    assert "**Razem brutto: 53,63 zł**" in text
    lines = frame_with(at, "Nazwa towaru lub usługi")
    assert lines["Nazwa towaru lub usługi"].tolist() == ["Razem za energię czynną", "Razem za usługi dystrybucji"]
    assert lines["Wartość netto"].tolist() == ["18,00 zł", "25,60 zł"]
    assert at.download_button(key="klient_invoice_pdf").label == "Pobierz PDF"


def test_a_failing_new_method_on_the_klient_page_keeps_the_working_link_and_says_so(sim, signed_in, office):
    from tests.linking import office_certificate

    seeded = seed_clients(sim, office, ["rights_missing"])
    client_id = seeded.ids["rights_missing"]
    token = sim.create_token(seeded.nips["rights_missing"], ["InvoiceRead", "InvoiceWrite"])["token"]
    credentials.add_ksef_token(actor=office.support, client_id=client_id, token=token)
    at = open_client(signed_in("support"), client_id)
    at.button(key="klient_connect").click().run()
    assert values(at.success) == ["połączenie działa (status: połączony)."]

    certificate = office_certificate(seeded)  # the client never granted the office its rights
    at.selectbox(key="klient_connect_method").select(AuthMethod.ksef_certificate).run()
    at.selectbox(key="klient_connect_credential").select(certificate).run()
    at.button(key="klient_connect").click().run()
    shown = "\n".join(values(at.error))
    assert "status: połączony" in shown and "połączenie zostało bez zmian" in shown
    assert "**Metoda:** token KSeF" in markdown(at)
    assert clients.get_client(actor=office.manager, client_id=client_id).link_status == LinkStatus.linked


def test_the_offline_certificate_has_its_own_line_added_or_missing(sim, signed_in, office):
    seeded = seed_clients(sim, office, ["healthy"])
    client_id = seeded.ids["healthy"]
    at = open_client(signed_in("support"), client_id, tab="Poświadczenia")
    assert "**Certyfikat offline:** brak certyfikatu" in markdown(at)
    material = sim.create_certificate(subject_nip=seeded.nips["healthy"], certificate_type="Offline")
    credentials.add_certificate(
        actor=office.support, client_id=client_id, label="Offline",
        certificate=material["certificatePem"].encode(), private_key=material["privateKeyPem"].encode(),
        for_authentication=False,
    )  # fmt: skip
    at.run()
    assert "**Certyfikat offline:** poprawnie dodany" in markdown(at)
    assert frame_with(at, "Dni do końca")["Rodzaj"].tolist() == ["certyfikat offline"]


def test_the_address_names_the_client_both_ways(signed_in, office):
    first, second = add_clients(office, 2)
    nips = {c.id: c.nip for c in clients.list_clients(actor=office.manager).items}
    at = signed_in("analyst")
    at.query_params["nip"] = nips[second]
    at = open_page(at, "klient")
    assert values(at.title) == ["Firma 2"] and at.session_state["klient_selected"] == second
    at.selectbox(key="klient_pick").select(first).run()
    assert values(at.title) == ["Firma 1"] and at.query_params["nip"] == nips[first]


def test_an_unknown_nip_in_the_address_is_named_in_polish(signed_in, office):
    add_clients(office, 1)
    at = signed_in("support")
    at.query_params["nip"] = "1234567890"
    at = open_page(at, "klient")
    assert "Nie ma w rejestrze klienta o NIP 1234567890." in values(at.warning)


def test_a_sync_waiting_for_its_retry_says_when_and_runs_now_on_request(sim, signed_in, office):
    seeded = seed_clients(sim, office, ["healthy"])
    link_with_token(seeded, "healthy")
    client_id = seeded.ids["healthy"]
    at = open_client(signed_in("support"), client_id, tab="Synchronizacja")
    sim.set_faults(errorRate=1.0)
    at.button(key="klient_sync_now").click().run()
    assert drain() == 1  # the first attempt fails; the job waits for its retry
    at.run()
    (warning,) = values(at.warning)
    assert re.fullmatch(r"Próba nie powiodła się; ponowienie o \d\d:\d\d\.", warning)
    assert "Zadanie czeka na wykonawcę…" not in [bar.text for bar in at.get("progress")]
    sim.clear_faults()
    assert drain() == 0  # still waiting for its backoff
    (run_now,) = [b for b in at.button if b.key.startswith("job_run_now_")]
    assert run_now.label == "Spróbuj teraz"
    run_now.click().run()
    assert drain() == 1
    at.run()
    assert values(at.success)[-1].startswith("Synchronizacja zakończona: nowe faktury: ")


def test_a_missing_client_certificate_is_uploaded_in_place_and_the_connect_goes_on(sim, signed_in, office):
    seeded = seed_clients(sim, office, ["healthy"])
    client_id = seeded.ids["healthy"]
    material = sim.create_certificate(subject_nip=seeded.nips["healthy"], common_name="Klient")
    at = open_client(signed_in("support"), client_id)
    at.selectbox(key="klient_connect_method").select(AuthMethod.ksef_certificate).run()
    files = (
        ("certificate", "klient.pem", material["certificatePem"]),
        ("key", "klient.key", material["privateKeyPem"]),
    )
    for name, file_name, content in files:
        (uploader,) = [u for u in at.file_uploader if u.key.startswith(f"klient_missing_cert_{name}_")]
        uploader.upload(file_name, content.encode(), "application/octet-stream")
    at.run()
    at.button(key="klient_missing_cert_submit").click().run()
    assert not at.error, values(at.error)
    assert at.selectbox(key="klient_connect_method").value == AuthMethod.ksef_certificate  # the choice was kept
    assert not [u for u in at.file_uploader if u.key.startswith("klient_missing_cert_")]  # no longer missing
    at.button(key="klient_connect").click().run()
    assert values(at.success)[-1] == "połączenie działa (status: połączony)."
