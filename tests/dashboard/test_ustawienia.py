"""Ustawienia (manager only): office, schedule, package, environments, SMTP with a write-only password, switches,
the test e-mail received by a real local SMTP server, the sent log, users and roles."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from core import db
from core.models import SmtpSettings
from core.services import office as office_service
from core.services import users
from core.services.notifications import settings as notification_settings
from core.services.usage import package
from core.settings import get_settings
from tests.dashboard.conftest import USTAWIENIA, open_page, registered_pages, values, whole_session_state
from tests.e2e.conftest import free_port

SMTP_PASSWORD = "tajne-haslo-smtp-123"
NEW_USER_PASSWORD = "nowe-haslo-uzytkownika"


@pytest.fixture
def settings_page(signed_in):
    return open_page(signed_in("manager"), USTAWIENIA)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


@pytest.mark.parametrize("role", ["support", "analyst"])
def test_only_the_manager_has_settings(signed_in, role):
    at = signed_in(role)
    assert str(USTAWIENIA) not in registered_pages(at)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(str(USTAWIENIA))


def test_the_tabs_and_the_read_only_master_account(settings_page):
    at = settings_page
    assert [tab.label for tab in at.tabs] == [
        "Biuro", "Pakiet", "Środowiska", "Harmonogram", "Powiadomienia", "Użytkownicy",
    ]  # fmt: skip
    assert at.text_input(key="ustawienia_office_account").value == "BR-TEST"
    assert at.text_input(key="ustawienia_office_account").disabled
    assert at.text_input(key="ustawienia_office_nip").disabled


def test_saving_the_office_data(settings_page, office):
    at = settings_page
    at.text_input(key="ustawienia_office_name").input("  Biuro Rachunkowe Nowak ")
    at.selectbox(key="ustawienia_office_environment").select("TEST")
    at.button(key="ustawienia_office_submit").click().run()
    assert values(at.success) == ["Zapisano dane biura."]
    assert at.text_input(key="ustawienia_office_name").value == "Biuro Rachunkowe Nowak"  # as stored
    saved = office_service.office_settings(actor=office.manager)
    assert (saved.name, saved.default_environment) == ("Biuro Rachunkowe Nowak", "TEST")
    assert not at.exception


def test_the_schedule_refuses_less_than_15_minutes(settings_page, office):
    at = settings_page
    at.number_input(key="ustawienia_schedule_interval").set_value(10)
    at.button(key="ustawienia_schedule_submit").click().run()
    assert values(at.error) == [
        "Popraw dane:\n- Synchronizacja co 10 min jest niedozwolona: co najmniej co 15 minut (limit KSeF), najwyżej "
        "co 10080 minut (7 dni)."
    ]
    at.number_input(key="ustawienia_schedule_interval").set_value(30)
    at.button(key="ustawienia_schedule_submit").click().run()
    assert values(at.success) == ["Zapisano harmonogram."]
    assert office_service.office_settings(actor=office.manager).sync_interval_minutes == 30


def test_an_unsaved_name_is_not_saved_with_the_schedule(settings_page, office):
    at = settings_page
    at.text_input(key="ustawienia_office_name").input("Nie zapisuj")
    at.number_input(key="ustawienia_schedule_interval").set_value(45)
    at.button(key="ustawienia_schedule_submit").click().run()
    saved = office_service.office_settings(actor=office.manager)
    assert (saved.name, saved.sync_interval_minutes) == ("Biuro Testowe", 45)


def test_the_package_form_shows_every_problem_then_saves(settings_page, office):
    at = settings_page
    at.number_input(key="ustawienia_package_limit").set_value(-5)
    at.number_input(key="ustawienia_package_day").set_value(31)
    at.button(key="ustawienia_package_submit").click().run()
    assert values(at.error) == [
        "Popraw dane:\n- Limit operacji musi wynosić co najmniej 1 operację miesięcznie.\n"
        "- Dzień rozliczenia musi być liczbą od 1 do 28."
    ]
    at.number_input(key="ustawienia_package_limit").set_value(0)  # a package of nothing is no package (issue 11 §6)
    at.number_input(key="ustawienia_package_day").set_value(10)
    at.button(key="ustawienia_package_submit").click().run()
    assert values(at.error) == ["Popraw dane:\n- Limit operacji musi wynosić co najmniej 1 operację miesięcznie."]
    assert package.package_usage(actor=office.manager).limit == 10_000
    at.number_input(key="ustawienia_package_limit").set_value(5000)
    at.number_input(key="ustawienia_package_day").set_value(10)
    at.radio(key="ustawienia_package_policy").set_value("hold")
    at.text_input(key="ustawienia_package_name").input("Pakiet Biznes")
    at.button(key="ustawienia_package_submit").click().run()
    assert values(at.success) == ["Zapisano pakiet."]
    usage = package.package_usage(actor=office.manager)
    assert (usage.limit, usage.billing_day, usage.policy, usage.name) == (5000, 10, "hold", "Pakiet Biznes")


def test_the_environments_with_their_urls(settings_page):
    frame = next(f.value for f in settings_page.dataframe if "Adres API" in f.value.columns)
    urls = dict(zip(frame["Kod"], frame["Adres API"], strict=True))
    assert urls == {
        "PROD": "https://api.ksef.mf.gov.pl/v2",
        "DEMO": "https://api-demo.ksef.mf.gov.pl/v2",
        "TEST": "https://api-test.ksef.mf.gov.pl/v2",
        "SIM": get_settings().sim_url + "/v2",
    }
    assert set(frame["Ostatni stan"]) == {"nie sprawdzano"}


def test_the_smtp_password_is_write_only(settings_page, office):
    at = settings_page
    at.text_input(key="ustawienia_smtp_host").input("smtp.biuro.pl")
    at.number_input(key="ustawienia_smtp_port").set_value(587)
    at.selectbox(key="ustawienia_smtp_security").select("starttls")
    at.text_input(key="ustawienia_smtp_sender").input("konsola@biuro.pl")
    at.text_input(key="ustawienia_smtp_username").input("konsola")
    at.text_input(key="ustawienia_smtp_password").input(SMTP_PASSWORD)
    at.button(key="ustawienia_smtp_submit").click().run()
    assert values(at.success) == ["Zapisano ustawienia serwera poczty."]
    assert at.text_input(key="ustawienia_smtp_password").value == ""
    assert at.text_input(key="ustawienia_smtp_password").placeholder == "zapisane — zostaw puste, by zachować"
    assert SMTP_PASSWORD not in whole_session_state(at)
    with db.session_scope() as session:
        cipher = session.execute(sa.select(SmtpSettings.password_ciphertext)).scalar_one()
    assert cipher and SMTP_PASSWORD.encode() not in cipher
    view = notification_settings.smtp_settings(actor=office.manager)
    assert (view.host, view.port, view.security, view.has_password) == ("smtp.biuro.pl", 587, "starttls", True)
    # Saving again with the field empty keeps the password; the checkbox removes it.
    at.button(key="ustawienia_smtp_submit").click().run()
    assert notification_settings.smtp_settings(actor=office.manager).has_password
    at.checkbox(key="ustawienia_smtp_remove_password").check()
    at.button(key="ustawienia_smtp_submit").click().run()
    assert not notification_settings.smtp_settings(actor=office.manager).has_password
    assert "Hasło SMTP nie jest zapisane." in values(at.caption)


def test_a_bad_sender_is_refused(settings_page):
    at = settings_page
    at.text_input(key="ustawienia_smtp_host").input("smtp.biuro.pl")
    at.text_input(key="ustawienia_smtp_sender").input("bez-malpy")
    at.text_input(key="ustawienia_smtp_password").input(SMTP_PASSWORD)
    at.button(key="ustawienia_smtp_submit").click().run()
    assert values(at.error) == ["Popraw dane:\n- Adres nadawcy musi być adresem e-mail."]
    assert SMTP_PASSWORD not in whole_session_state(at)  # emptied even when the save is refused


def test_switches_and_recipients(settings_page, office):
    at = settings_page
    assert all(at.checkbox(key=f"ustawienia_switch_{k}").value for k in ("package_80", "auth_failed"))
    at.checkbox(key="ustawienia_switch_token_sunset").uncheck()
    at.text_input(key="ustawienia_recipients_package_80").input("szef@biuro.pl, zly")
    at.button(key="ustawienia_switches_submit").click().run()
    assert values(at.error) == ["Popraw dane:\n- Pakiet wykorzystany w 80%: zly nie jest adresem e-mail."]
    assert notification_settings.switches(actor=office.manager)["token_sunset"][0]  # nothing saved
    at.text_input(key="ustawienia_recipients_package_80").input("szef@biuro.pl,ksiegowa@biuro.pl")
    at.button(key="ustawienia_switches_submit").click().run()
    assert values(at.success) == ["Zapisano powiadomienia."]
    saved = notification_settings.switches(actor=office.manager)
    assert saved["token_sunset"] == (False, "")
    assert saved["package_80"] == (True, "szef@biuro.pl, ksiegowa@biuro.pl")
    assert at.text_input(key="ustawienia_recipients_package_80").value == "szef@biuro.pl, ksiegowa@biuro.pl"


def test_the_test_email_fails_in_polish_without_a_server(settings_page):
    at = settings_page
    at.button(key="ustawienia_test_send").click().run()
    assert values(at.error) == [
        "Nie wysłano wiadomości testowej. Serwer SMTP nie jest skonfigurowany (Ustawienia → Powiadomienia)."
    ]


def test_the_test_email_arrives_and_lands_in_the_sent_log(settings_page, office, smtp_server):
    port, inbox = smtp_server
    notification_settings.update_smtp(
        actor=office.manager, host="127.0.0.1", port=port, security="none", sender="konsola@biuro.pl"
    )
    at = settings_page
    assert "Nie wysłano jeszcze żadnego powiadomienia." in values(at.info)
    at.text_input(key="ustawienia_test_to").input("odbiorca@biuro.pl")
    at.button(key="ustawienia_test_send").click().run()
    assert values(at.success) == ["Wysłano wiadomość testową do: odbiorca@biuro.pl."]
    assert len(inbox.messages) == 1 and inbox.messages[0][0] == ["odbiorca@biuro.pl"]
    assert "wiadomość testowa" in inbox.messages[0][1]
    log = next(f.value for f in at.dataframe if "Temat" in f.value.columns)
    assert log["Rodzaj"].tolist() == ["Wiadomość testowa"] and log["Stan"].tolist() == ["wysłane"]
    assert log["Adresaci"].tolist() == ["odbiorca@biuro.pl"]


def test_the_manager_adds_a_user_whose_password_is_not_kept(settings_page, office):
    at = settings_page
    at.text_input(key="ustawienia_user_add_username").input("Nowa.Ksiegowa")
    at.text_input(key="ustawienia_user_add_full_name").input("Anna Nowak")
    at.text_input(key="ustawienia_user_add_email").input("anna@biuro.pl")
    at.selectbox(key="ustawienia_user_add_role").select("support")
    at.text_input(key="ustawienia_user_add_password").input(NEW_USER_PASSWORD)
    at.button(key="ustawienia_user_add_submit").click().run()
    assert values(at.success) == ["Dodano użytkownika **nowa.ksiegowa** z rolą: wsparcie."]
    assert NEW_USER_PASSWORD not in whole_session_state(at)
    assert at.text_input(key="ustawienia_user_add_username").value == ""
    frame = next(f.value for f in at.dataframe if "Login" in f.value.columns and "Rola" in f.value.columns)
    row = frame.set_index("Login").loc["nowa.ksiegowa"]
    assert (row["Imię i nazwisko"], row["Rola"], row["Stan"]) == ("Anna Nowak", "wsparcie", "aktywne")
    assert users.authenticate(username="nowa.ksiegowa", password=NEW_USER_PASSWORD).role == "support"


def test_a_bad_new_user_shows_every_problem(settings_page):
    at = settings_page
    at.text_input(key="ustawienia_user_add_username").input("X")
    at.text_input(key="ustawienia_user_add_password").input("krotkie")
    at.button(key="ustawienia_user_add_submit").click().run()
    assert values(at.error) == [
        "Popraw dane:\n- Login: 3–64 znaki, małe litery, cyfry, kropka, minus lub podkreślenie.\n"
        "- Hasło musi mieć co najmniej 8 znaków."
    ]
    assert at.text_input(key="ustawienia_user_add_password").value == ""


def test_changing_a_role_and_disabling_an_account(settings_page, office):
    at = settings_page
    at.selectbox(key="ustawienia_user_pick").select("wsparcie").run()
    assert at.selectbox(key="ustawienia_user_role").value == "support"
    at.selectbox(key="ustawienia_user_role").select("analyst")
    at.button(key="ustawienia_user_set_role").click().run()
    assert values(at.success) == ["Użytkownik **wsparcie** ma teraz rolę: analityk."]
    at.button(key="ustawienia_user_disable").click().run()
    assert any("Wyłączyć konto **wsparcie**?" in text for text in values(at.markdown))
    at.button(key="ustawienia_user_disable_confirm").click().run()
    assert values(at.success) == ["Wyłączono konto **wsparcie**."]
    assert users.actor_for(office.support.user_id) is None
    frame = table_with(at, "Login")
    assert frame.set_index("Login").loc["wsparcie", "Stan"].startswith("wyłączone ")


def test_the_manager_cannot_disable_or_demote_themself(settings_page):
    at = settings_page
    at.selectbox(key="ustawienia_user_pick").select("kierownik").run()
    at.selectbox(key="ustawienia_user_role").select("analyst")
    at.button(key="ustawienia_user_set_role").click().run()
    assert values(at.error) == ["Nie można odebrać sobie roli kierownika."]
    at.button(key="ustawienia_user_disable").click().run()
    at.button(key="ustawienia_user_disable_confirm").click().run()
    assert "Nie można wyłączyć własnego konta." in values(at.error)


def table_with(at, column: str):
    return next(f.value for f in at.dataframe if column in f.value.columns and "Rola" in f.value.columns)


def test_english_settings(settings_page):
    at = settings_page
    at.selectbox(key="lang_switch").select("en").run()
    assert [tab.label for tab in at.tabs][:2] == ["Office", "Package"]
    headers = [list(frame.value.columns) for frame in at.dataframe]
    assert ["Username", "Full name", "E-mail", "Role", "State", "Last sign-in"] in headers
    assert at.button(key="ustawienia_test_send").label == "Send a test e-mail"


def test_without_a_server_the_page_says_no_mail_goes_out(settings_page):
    assert (
        "Serwer SMTP nie jest ustawiony, więc konsola nie wysyła żadnych e-maili (powiadomienia czekają, nie są "
        "liczone jako błędy). Podaj serwer i nadawcę poniżej."
    ) in values(settings_page.warning)
    assert "Skrzynka lokalna (demo)" not in values(settings_page.subheader)  # no local catcher, no local inbox


def test_the_demo_s_caught_emails_show_with_subject_recipient_date_and_body(signed_in, office):
    """Issue 11 §7: the e-mails `make run`'s mail catcher caught, on the notifications settings."""
    from core.demo.mailcatcher import Mailbox
    from core.services.notifications.smtp import SmtpConfig, build_message

    port = get_settings().mail_port
    notification_settings.update_smtp(
        actor=office.manager, host="127.0.0.1", port=port, security="none", sender="konsola@biuro.example.pl"
    )
    folder = get_settings().mailbox_dir
    folder.mkdir(parents=True)
    config = SmtpConfig("127.0.0.1", port, "none", "konsola@biuro.example.pl")
    for subject, body in (("Pakiet KSeF wykorzystany w 80%", "Wykorzystano 8 z 10."), ("Brak uprawnień", "Firma X")):
        message = build_message(config, ["kierownik@biuro.example.pl"], subject, body)
        envelope = SimpleNamespace(rcpt_tos=["kierownik@biuro.example.pl"], content=message.as_bytes())
        asyncio.run(Mailbox(folder).handle_DATA(None, None, envelope))
    at = open_page(signed_in("manager"), USTAWIENIA)
    assert "Skrzynka lokalna (demo)" in values(at.subheader)
    labels = [expander.label for expander in at.expander]
    assert len(labels) == 2 and labels[0].endswith("kierownik@biuro\\.example\\.pl · Brak uprawnień")
    assert "Pakiet KSeF wykorzystany w 80%" in labels[1]
    assert [text.value.strip() for text in at.text] == ["Firma X", "Wykorzystano 8 z 10."]
