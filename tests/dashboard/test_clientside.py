"""The client side in the UI (AppTest, the real entry script): activation without a login, a client user's one page,
Programy klientów for the office."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.services.clientside import access, invitations, programs
from dashboard import nav
from tests.clientside import Inbox
from tests.dashboard.conftest import APP, frame_with, open_page, registered_pages, sign_in, values


def _client_user(office, inbox: Inbox, client_id: int) -> str:
    invitations.invite(actor=office.manager, client_id=client_id, email="jan@firma.pl")
    invitations.activate(token=inbox.last_token(), username="jan.klient", password="dobre-haslo-1")
    return "jan.klient"


def test_a_client_user_gets_only_moja_firma_with_its_own_company(office, inbox, two_clients):
    _client_user(office, inbox, two_clients.own)
    at = sign_in(AppTest.from_file(APP, default_timeout=30).run(), "jan.klient", "dobre-haslo-1")
    assert not at.exception, at.exception
    # Its only script is Moja firma; the office pages answer "no access" at their address (hidden callables).
    assert {page for page in registered_pages(at) if page.endswith(".py")} == {
        str(spec.path) for spec in nav.CLIENT_PAGES
    }
    assert values(at.title) == ["Moja firma"]
    text = " ".join(values(at.markdown))
    assert "Firma Własna" in text and "Firma Obca" not in text
    assert any("nie udostępniło" in c for c in values(at.caption))
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(str(nav.spec_for("klienci.py").path))
    access.set_access(actor=office.manager, client_id=two_clients.own, view_documents=True)
    at.run()
    assert "Dokumenty" in values(at.subheader)


def test_the_office_pages_refuse_a_client_user_run_directly(office, inbox, two_clients):
    _client_user(office, inbox, two_clients.own)
    at = sign_in(AppTest.from_file(APP, default_timeout=30).run(), "jan.klient", "dobre-haslo-1")
    user_id = at.session_state["user_id"]
    page = AppTest.from_file(str(nav.spec_for("klient.py").path), default_timeout=30)
    page.session_state["user_id"] = user_id
    page.session_state["last_activity"] = 9e18
    page.run()
    assert values(page.error) == ["Nie masz dostępu do tej strony."]


def test_programy_klientow_invites_allows_and_links_a_program(office, inbox, two_clients):
    at = sign_in(AppTest.from_file(APP, default_timeout=30).run(), "kierownik", office.passwords["kierownik"])
    open_page(at, str(nav.spec_for("programy.py").path))
    assert "Programy klientów" in values(at.title)
    at.selectbox(key="klient_pick").select(two_clients.own).run()
    at.text_input(key="programy_invite_email").input("anna@firma.pl")
    at.button(key="programy_invite_submit").click().run()
    assert not at.exception, at.exception
    assert any("anna@firma.pl" in s for s in values(at.success))
    assert inbox.messages and inbox.messages[-1][0] == ["anna@firma.pl"]
    at.text_input(key="programy_add_name").input("ERP")
    at.text_input(key="programy_add_password").input("haslo-programu-1")
    at.button(key="programy_add_submit").click().run()
    assert not at.exception, at.exception
    assert at.session_state["programy_add_password"] == ""  # the password does not stay in session state
    listed = programs.list_programs(actor=office.manager)
    assert [p.name for p in listed] == ["ERP"]


def test_programy_klientow_lists_every_clients_programs_before_a_client_is_chosen(office, two_clients):
    programs.add_program(actor=office.manager, client_id=two_clients.own, name="ERP", password="haslo-programu-1")
    at = sign_in(AppTest.from_file(APP, default_timeout=30).run(), "wsparcie", office.passwords["wsparcie"])
    open_page(at, str(nav.spec_for("programy.py").path))
    assert not at.exception, at.exception
    assert values(at.title)[0] == "Programy klientów"
    shown = frame_with(at, "Program")
    assert shown["Klient"].tolist() == ["Firma Własna"] and shown["Program"].tolist() == ["ERP"]


def test_a_refused_push_is_in_the_support_inbox_with_cause_and_fix(office, linked, signed_in):
    from core.errors import InvalidInput
    from core.services.clientside import intake
    from tests.clientside import PASSWORD

    program = intake.authorize(intake.sign_in(company_key=linked.key, program="ERP", password=PASSWORD).token)
    with pytest.raises(InvalidInput):
        intake.push(program, b"<Faktura>")
    at = open_page(signed_in("support"), "wsparcie")
    assert "Program klienta (1)" in values(at.subheader)
    text = "\n".join(values(at.markdown))
    assert "**Przyczyna:** Program sprzedaży klienta przysłał coś, czego biuro nie może przyjąć" in text
    assert "Program klienta „ERP” przysłał fakturę, której nie przyjęto" in text


def test_moja_firma_authenticates_the_link_with_the_company_s_signature(office, inbox, linked):
    from core.services.clientside import access
    from core.services.linking import detail

    access.set_access(actor=office.manager, client_id=linked.other_client_id, authenticate_link=True)
    invitations.invite(actor=office.manager, client_id=linked.other_client_id, email="jan@firma.pl")
    invitations.activate(token=inbox.last_token(), username="jan.klient", password="dobre-haslo-1")
    at = sign_in(AppTest.from_file(APP, default_timeout=30).run(), "jan.klient", "dobre-haslo-1")
    assert "Uwierzytelnij połączenie z KSeF" in values(at.subheader)
    at.button(key="moja_firma_sig_start").click().run()
    assert not at.exception, at.exception
    at.button(key="moja_firma_sig_simulator").click().run()
    assert not at.exception, at.exception
    assert any("uwierzytelnione" in s for s in values(at.success)), values(at.error)
    assert detail.link_details(actor=office.analyst, client_id=linked.other_client_id).auth_method == (
        "qualified_signature"
    )
