"""The Klienci page through the real entry script: table and filters, add, edit, archive, import, roles."""

from __future__ import annotations

import pytest

from core.jobs import queue
from core.jobs.worker import drain
from core.models import ClientCreate, ClientUpdate
from core.services.clients import register as clients
from tests.dashboard.conftest import KLIENCI, open_page, table, values
from tests.factories import clients_csv, two_hundred_clients_with_three_bad_rows, valid_nips

HEADERS = [
    "NIP",
    "Nazwa",
    "Środowisko",
    "Status połączenia",
    "Metoda",
    "Certyfikat ważny do",
    "Wykorzystanie pakietu",
    "Ostatnia synchronizacja",
    "Otwarte problemy",
]


@pytest.fixture
def signed_in(signed_in):
    """Signed in and on the Klienci page (users land on Przegląd)."""

    def sign_as(role: str):
        return open_page(signed_in(role), KLIENCI)

    return sign_as


def add_clients(office, count: int, seed: int = 21) -> list[str]:
    nips = valid_nips(count, seed=seed)
    for index, nip in enumerate(nips, start=1):
        clients.add_client(actor=office.manager, data=ClientCreate(nip=nip, name=f"Firma {index:03d}"))
    return nips


def fill_add_form(at, **fields: str):
    for field, value in fields.items():
        at.text_input(key=f"klienci_add_{field}").input(value)
    at.button(key="klienci_add_submit").click()
    return at.run()


def test_the_table_has_polish_headers_and_values(signed_in, office):
    nip = add_clients(office, 1)[0]
    at = signed_in("analyst")
    frame = table(at)
    assert list(frame.columns) == HEADERS
    assert frame.iloc[0].tolist() == [nip, "Firma 001", "SIM", "niepołączony", "", "", 0.0, "", 0]
    assert "Klienci 1–1 z 1" in values(at.caption)


def test_manager_adds_a_client_and_sees_it_in_the_table(signed_in, office):
    at = signed_in("manager")
    assert "Brak klientów spełniających kryteria." in values(at.info)
    nip = valid_nips(1, seed=5)[0]
    at = fill_add_form(at, nip=nip, name="Nowa Firma sp. z o.o.", email="biuro@nowa.pl", erp_id="K-1")
    assert not at.exception and not at.error
    assert values(at.success) == [f"Dodano klienta **Nowa Firma sp. z o.o.** (NIP {nip})."]
    assert table(at)["NIP"].tolist() == [nip]
    assert clients.find_client_by_nip(actor=office.manager, nip=nip).email == "biuro@nowa.pl"
    assert at.text_input(key="klienci_add_nip").value == ""  # the form is empty for the next client
    at.run()
    assert not at.success  # the confirmation shows once


def test_a_bad_nip_shows_the_polish_problem_and_keeps_the_input(signed_in, office):
    at = signed_in("support")
    at = fill_add_form(at, nip="1234567890", name="", email="zly-adres")
    assert len(at.error) == 1
    message = at.error[0].value
    assert message.startswith("Popraw dane:")
    assert "NIP 1234567890 ma błędną sumę kontrolną" in message
    assert "nazwa firmy jest wymagana" in message
    assert "adres e-mail 'zly-adres' jest niepoprawny" in message
    assert at.text_input(key="klienci_add_nip").value == "1234567890"
    assert clients.list_clients(actor=office.manager).total == 0


def test_a_duplicate_nip_is_refused(signed_in, office):
    nip = add_clients(office, 1)[0]
    at = fill_add_form(signed_in("manager"), nip=nip, name="Druga")
    assert values(at.error) == [f"Klient z NIP {nip} już jest w rejestrze (Firma 001)."]


def test_filters_narrow_the_table(signed_in, office):
    nips = add_clients(office, 3)
    clients.update_client(actor=office.manager, client_id=_id(office, nips[1]), data=_env("PROD"))
    at = signed_in("analyst")
    at.text_input(key="klienci_search").input("002").run()
    assert table(at)["NIP"].tolist() == [nips[1]]
    at.text_input(key="klienci_search").input("").run()
    at.selectbox(key="klienci_environment").select("PROD").run()
    assert table(at)["NIP"].tolist() == [nips[1]]
    at.selectbox(key="klienci_environment").select("").run()
    at.multiselect(key="klienci_status").select("linked").run()
    assert "Brak klientów spełniających kryteria." in values(at.info)


def test_the_table_pages_through_a_large_register(signed_in, office):
    add_clients(office, 60)
    at = signed_in("analyst")
    assert len(table(at)) == 50
    assert "Klienci 1–50 z 60" in values(at.caption)
    at.number_input(key="klienci_page").set_value(2).run()
    assert len(table(at)) == 10 and table(at)["Nazwa"].iloc[0] == "Firma 051"
    at.text_input(key="klienci_search").input("Firma 00").run()  # back to page one for a new search
    assert "Klienci 1–9 z 9" in values(at.caption)


def test_manager_edits_a_client(signed_in, office):
    nips = add_clients(office, 2)
    at = signed_in("manager")
    at.selectbox(key="klienci_edit_client").select(_id(office, nips[1])).run()
    assert at.text_input(key="klienci_edit_name").value == "Firma 002"
    at.text_input(key="klienci_edit_name").input("Firma Druga  S.A.")
    at.text_input(key="klienci_edit_email").input("ksiegowosc@druga.pl")
    at.button(key="klienci_edit_submit").click().run()
    assert values(at.success) == ["Zapisano zmiany klienta **Firma Druga S.A.**."]
    assert "Firma Druga S.A." in table(at)["Nazwa"].tolist()
    assert at.text_input(key="klienci_edit_name").value == "Firma Druga S.A."  # as the service normalised it
    assert not at.warning and not at.exception


def test_a_bad_edit_shows_the_problem(signed_in, office):
    add_clients(office, 1)
    at = signed_in("support")
    at.text_input(key="klienci_edit_email").input("bez-malpy")
    at.button(key="klienci_edit_submit").click().run()
    assert values(at.error) == ["Popraw dane:\n- adres e-mail 'bez-malpy' jest niepoprawny"]


def test_manager_archives_after_confirming_in_a_dialog(signed_in, office):
    nip = add_clients(office, 1)[0]
    at = signed_in("manager")
    at.button(key="klienci_archive").click().run()
    assert any("Zarchiwizować klienta **Firma 001**" in text for text in values(at.markdown))
    at.button(key="klienci_archive_confirm").click().run()
    assert values(at.success) == ["Zarchiwizowano klienta **Firma 001**."]
    assert not _has(at, "klienci_archive_confirm")  # the dialog closed
    assert "Brak klientów spełniających kryteria." in values(at.info)
    at.checkbox(key="klienci_archived").check().run()
    frame = table(at)
    assert frame["NIP"].tolist() == [nip] and frame["Status połączenia"].tolist() == ["rozłączony"]
    assert frame["Zarchiwizowano"].iloc[0].count(".") == 2  # DD.MM.RRRR


def test_cancelling_the_dialog_archives_nothing(signed_in, office):
    add_clients(office, 1)
    at = signed_in("manager")
    at.button(key="klienci_archive").click().run()
    at.button(key="klienci_archive_cancel").click().run()
    assert not _has(at, "klienci_archive_confirm")
    assert clients.list_clients(actor=office.manager).total == 1


def test_support_edits_and_imports_but_cannot_archive(signed_in, office):
    add_clients(office, 1)
    at = signed_in("support")
    assert {"klienci_add_submit", "klienci_edit_submit", "klienci_import_start"} <= _buttons(at)
    assert "klienci_archive" not in _buttons(at)


def test_analyst_sees_the_table_read_only(signed_in, office):
    add_clients(office, 2)
    at = signed_in("analyst")
    assert len(table(at)) == 2
    assert _buttons(at) == {"logout"}
    assert not at.file_uploader and not at.tabs
    assert {widget.key for widget in at.text_input} == {"klienci_search"}
    assert "Masz dostęp tylko do odczytu." in values(at.caption)


def test_importing_the_file_with_three_bad_rows_names_them_and_saves_nothing(signed_in, office):
    content, expected = two_hundred_clients_with_three_bad_rows()
    at = signed_in("manager")
    at.file_uploader(key="klienci_import_file").upload("klienci.csv", content, "text/csv")
    at.run()
    at.button(key="klienci_import_start").click().run()
    assert not at.exception and not at.error
    assert at.session_state["klienci_import_job"]
    assert "Zadanie czeka na wykonawcę…" in [bar.text for bar in at.get("progress")]
    assert drain() == 1
    at.run()
    assert len(at.error) == 1
    message = at.error[0].value
    assert message.startswith("Import pliku klienci.csv odrzucony — nic nie zapisano.")
    assert [line.removeprefix("- ") for line in message.splitlines()[1:]] == expected
    assert clients.list_clients(actor=office.manager).total == 0
    assert "Brak klientów spełniających kryteria." in values(at.info)
    at.button(key="klienci_import_dismiss").click().run()
    assert not at.error and "klienci_import_job" not in at.session_state


def test_importing_a_clean_file_fills_the_table(signed_in, office):
    nips = valid_nips(5, seed=31)
    content = clients_csv([{"nip": nip, "name": f"Import {i}"} for i, nip in enumerate(nips)])
    at = signed_in("support")
    at.file_uploader(key="klienci_import_file").upload("nowi.csv", content, "text/csv")
    at.run()
    at.button(key="klienci_import_start").click().run()
    drain()
    at.run()
    assert values(at.success) == ["Zaimportowano 5 klientów."]
    assert sorted(table(at)["NIP"].tolist()) == sorted(nips)


def test_the_progress_bar_follows_a_running_import(signed_in, office):
    content, _ = two_hundred_clients_with_three_bad_rows()
    at = signed_in("manager")
    at.file_uploader(key="klienci_import_file").upload("klienci.csv", content, "text/csv")
    at.run()
    at.button(key="klienci_import_start").click().run()
    job_id = at.session_state["klienci_import_job"]
    assert [job.id for job in queue.claim("test-worker")] == [job_id]
    queue.set_progress(job_id, 50, 200)
    at.run()
    (bar,) = at.get("progress")
    assert bar.text == "Import klientów — sprawdzone wiersze: 50 z 200"
    assert bar.value == 25  # percent


def test_an_unreadable_file_is_refused_at_once(signed_in, office):
    at = signed_in("manager")
    at.file_uploader(key="klienci_import_file").upload("pusty.csv", b"  \r\n", "text/csv")
    at.run()
    at.button(key="klienci_import_start").click().run()
    assert values(at.error) == ["Popraw dane:\n- Plik jest pusty."]
    assert "klienci_import_job" not in at.session_state


def test_english_headers(signed_in, office):
    add_clients(office, 1)
    at = signed_in("analyst")
    at.selectbox(key="lang_switch").select("en").run()
    assert list(table(at).columns)[:5] == ["NIP", "Name", "Environment", "Link status", "Method"]
    assert list(table(at).columns)[5:] == ["Certificate valid until", "Package usage", "Last sync", "Open problems"]
    assert table(at)["Link status"].tolist() == ["not linked"]


def _id(office, nip: str) -> int:
    return clients.find_client_by_nip(actor=office.manager, nip=nip).id


def _env(environment: str) -> ClientUpdate:
    return ClientUpdate(environment=environment)


def _buttons(at) -> set[str]:
    return {button.key for button in at.button}


def _has(at, key: str) -> bool:
    return key in _buttons(at)


def test_the_table_shows_each_client_s_link_method_and_open_problems(sim, signed_in, office):
    from core.services.linking import credentials, links
    from tests.linking import TOKEN, link_with_token
    from tests.simulated import seed_clients

    seeded = seed_clients(sim, office, ["healthy", "token_revoked"])
    link_with_token(seeded, "healthy")
    revoked = seeded.ids["token_revoked"]
    credentials.add_ksef_token(actor=office.support, client_id=revoked, token=seeded.token("token_revoked"))
    links.connect_client(actor=office.support, client_id=revoked, request=TOKEN)
    frame = table(signed_in("analyst")).set_index("Nazwa")
    assert frame.loc["Firma healthy", "Status połączenia"] == "połączony"
    assert frame.loc["Firma token_revoked", "Status połączenia"] == "wymaga działania"
    assert frame["Metoda"].tolist() == ["token KSeF", "token KSeF"]
    assert frame["Otwarte problemy"].tolist() == [0, 1]


def test_the_import_offers_its_template(signed_in, office):
    """Issue 11 §8: a downloadable client-import template beside the uploader (its content: test_importer.py)."""
    at = signed_in("support")
    xlsx = at.download_button(key="klienci_template_xlsx")
    csv = at.download_button(key="klienci_template_csv")
    assert (xlsx.label, csv.label) == ("Pobierz wzór XLSX", "Pobierz wzór CSV")
    assert any(text.startswith("Kolumny, które czyta import") for text in values(at.caption))


def test_statuses_are_chips_with_text_and_colour_and_no_emoji(signed_in, office):
    from tests import seeding

    ids = seeding.add_clients(office, 2)
    seeding.set_link_status(ids[0], "error")
    at = open_page(signed_in("analyst"), KLIENCI)
    frame = table(at)
    assert frame["Status połączenia"].tolist() == ["błąd", "niepołączony"]
    styles = str(at.dataframe[0].proto.arrow_data.styler)
    assert "background-color: #fde1e1" in styles and "background-color: #eceff1" in styles
    assert not any(ch in "".join(frame["Status połączenia"]) for ch in "⚪⚫🟢🟡🔴")
