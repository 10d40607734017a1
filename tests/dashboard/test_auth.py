"""The login gate, navigation per role, idle timeout and sign-out, through the real entry script."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from core import db
from core.models import WebSession
from core.security import ROLE_PERMISSIONS
from core.services import users, web_sessions
from core.types import Role, utcnow
from dashboard import nav
from tests.dashboard.conftest import (
    KLIENCI,
    USTAWIENIA,
    open_page,
    registered_pages,
    sign_in,
    values,
    whole_session_state,
)

LOGIN_WIDGETS = {"login_username", "login_password"}


def login_form_shown(at: AppTest) -> bool:
    return {widget.key for widget in at.text_input} >= LOGIN_WIDGETS


def test_before_sign_in_only_the_login_page_exists(app):
    assert login_form_shown(app)
    # and the activation page of an invitation's link, which acts only with its single-use token
    assert registered_pages(app) == {"Logowanie", "Aktywacja konta"}
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page(str(KLIENCI))
    assert not app.dataframe


def test_the_page_script_refuses_on_its_own_without_a_user(office):
    # Defence in depth: even run directly, the page stops before reading anything.
    at = AppTest.from_file(KLIENCI, default_timeout=30).run()
    assert values(at.error) == ["Nie masz dostępu do tej strony."]
    assert not at.dataframe and not at.button


@pytest.mark.parametrize("role", ["manager", "support", "analyst"])
def test_each_role_gets_exactly_the_pages_it_may_use(signed_in, office, role):
    at = signed_in(role)
    expected = {str(spec.path) for spec in nav.PAGES if spec.permission in ROLE_PERMISSIONS[Role(role)]}
    assert expected, "every role may open at least the client register"
    # Scripts are the role's pages; the others answer "no access" at their address (hidden callables, no script).
    assert {page for page in registered_pages(at) if page.endswith(".py")} == expected
    assert not login_form_shown(at)
    assert values(at.title) == ["Przegląd"]  # the landing page, open to every role
    username = getattr(office, role).username
    assert any(username in text and "Rola:" in text for text in values(at.sidebar.markdown))


def test_a_page_withheld_from_a_role_is_absent_and_cannot_be_switched_to(signed_in):
    at = signed_in("analyst")
    assert str(USTAWIENIA) not in registered_pages(at)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(str(USTAWIENIA))


def test_a_manager_reaches_the_page_the_analyst_cannot(signed_in):
    at = signed_in("manager")
    assert str(USTAWIENIA) in registered_pages(at)
    open_page(at, USTAWIENIA)
    assert values(at.title) == ["Ustawienia"]


def test_the_page_itself_refuses_a_role_without_its_permission(office):
    # Defence in depth: run the page script directly in an analyst's session, past the navigation.
    at = AppTest.from_file(USTAWIENIA, default_timeout=30)
    at.session_state["user_id"] = office.analyst.user_id
    at.session_state["last_activity"] = time.time()
    at.run()
    assert values(at.error) == ["Nie masz dostępu do tej strony."]
    assert not at.title and not at.text_input


def test_wrong_password_is_refused_in_polish_and_not_kept(app):
    at = sign_in(app, "kierownik", "zle-haslo")
    assert values(at.error) == ["Nieprawidłowy login lub hasło."]
    assert login_form_shown(at)
    assert at.text_input(key="login_password").value == ""
    assert "zle-haslo" not in whole_session_state(at)
    assert "user_id" not in at.session_state


def test_unknown_user_gets_the_same_message(app):
    at = sign_in(app, "nikt", "cokolwiek")
    assert values(at.error) == ["Nieprawidłowy login lub hasło."]


def test_five_failures_lock_the_account(app, office):
    for _ in range(4):
        sign_in(app, "wsparcie", "zle-haslo")
        assert values(app.error) == ["Nieprawidłowy login lub hasło."]
    sign_in(app, "wsparcie", "zle-haslo")
    assert values(app.error)[0].startswith("Konto zablokowane po zbyt wielu nieudanych próbach logowania, do ")
    # The lock is in the database: even the right password is refused now.
    sign_in(app, "wsparcie", office.passwords["wsparcie"])
    assert values(app.error)[0].startswith("Konto zablokowane")
    assert "user_id" not in app.session_state


def test_empty_form_asks_for_both_fields(app):
    at = sign_in(app, "", "")
    assert values(at.error) == ["Podaj login i hasło."]


def _idle_for(at: AppTest, minutes: int) -> None:
    """The web session (shared by the user's tabs) is the idle clock: age it, and this session's own clock."""
    at.session_state["last_activity"] = time.time() - minutes * 60
    with db.session_scope(write=True) as session:
        row = session.get(WebSession, at.session_state["web_session"])
        row.last_seen_at = utcnow() - timedelta(minutes=minutes)
        session.add(row)


def test_idle_timeout_signs_out(signed_in):
    at = signed_in("manager")
    _idle_for(at, 31)
    at.run()
    assert login_form_shown(at)
    assert values(at.info) == ["Wylogowano po 30 min bezczynności. Zaloguj się ponownie."]
    assert "user_id" not in at.session_state
    assert registered_pages(at) == {"Logowanie", "Aktywacja konta"}


def test_activity_within_the_timeout_keeps_the_session(signed_in):
    at = signed_in("manager")
    _idle_for(at, 29)
    at.run()
    assert values(at.title) == ["Przegląd"]
    assert time.time() - at.session_state["last_activity"] < 60


def test_sign_out_button(signed_in):
    at = signed_in("support")
    at.button(key="logout").click().run()
    assert login_form_shown(at)
    assert values(at.info) == ["Wylogowano."]
    assert "user_id" not in at.session_state


def test_a_disabled_account_is_signed_out_on_the_next_run(signed_in, office):
    at = signed_in("support")
    users.disable_user(actor=office.manager, username="wsparcie")
    at.run()
    assert login_form_shown(at)
    assert values(at.info) == ["Konto zostało wyłączone albo usunięte. Skontaktuj się z kierownikiem biura."]


def test_a_changed_role_takes_effect_on_the_next_run(signed_in, office):
    at = open_page(signed_in("support"), KLIENCI)
    assert at.button(key="klienci_add_submit")
    users.set_role(actor=office.manager, username="wsparcie", role="analyst")
    at.run()
    assert not [button for button in at.button if button.key != "logout"]


def test_session_state_holds_only_ids_language_time_and_ui_flags(signed_in, office):
    at = signed_in("manager")
    everything = whole_session_state(at)
    for password in office.passwords.values():
        assert password not in everything
    state = at.session_state.to_dict()
    assert {"user_id", "last_activity", "lang"} <= set(state)
    page_prefixes = tuple(f"{spec.path.stem}_" for spec in nav.PAGES)
    assert all(
        key in {"user_id", "web_session", "last_activity", "lang", "lang_switch", "logout"}
        or key.startswith(page_prefixes)
        for key in state
    )


def test_english_switch_translates_the_shell(app):
    app.selectbox(key="lang_switch").select("en").run()
    assert app.button(key="login_submit").label == "Sign in"
    assert app.session_state["lang"] == "en"
    at = sign_in(app, "kierownik", "zle-haslo")
    assert at.button(key="login_submit").label == "Sign in"  # the language survives a failed login


def test_a_login_starts_a_web_session_and_logout_revokes_it(signed_in, office):
    at = signed_in("support")
    web_id = at.session_state["web_session"]
    assert web_sessions.alive(web_id)
    at.button(key="logout").click().run()
    assert not web_sessions.alive(web_id)
    assert "web_session" not in at.session_state


def test_a_web_session_ended_elsewhere_signs_this_tab_out(signed_in, office):
    at = signed_in("manager")
    web_sessions.end(at.session_state["web_session"], office.manager)  # logout in another tab
    at.run()
    assert login_form_shown(at) and "user_id" not in at.session_state


def test_choices_on_the_klient_page_do_not_follow_to_the_next_client(signed_in, office):
    from core.models import ClientCreate
    from core.services.clients import register as clients
    from tests.dashboard.conftest import open_client
    from tests.factories import valid_nips

    first, second = (
        clients.add_client(actor=office.manager, data=ClientCreate(nip=nip, name=f"Firma {n}")).id
        for n, nip in enumerate(valid_nips(2), start=1)
    )
    at = open_client(signed_in("support"), first)
    at.selectbox(key="klient_connect_method").select("qualified_signature").run()
    at.text_input(key="klient_key_check").input("KLUCZ-PIERWSZEJ-FIRMY").run()
    assert at.selectbox(key="klient_connect_method").value == "qualified_signature"
    at.selectbox(key="klient_pick").select(second).run()
    assert at.selectbox(key="klient_connect_method").value != "qualified_signature"
    assert at.text_input(key="klient_key_check").value == ""
