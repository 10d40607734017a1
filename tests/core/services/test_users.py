from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import db
from core.errors import AuthenticationFailed, Conflict, InvalidInput, PermissionDenied
from core.models import AuditEvent, User, UserCreate
from core.services import users
from core.types import Role


def _audit_actions() -> list[str]:
    with db.session_scope() as session:
        return list(session.exec(sa.select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


def test_login_returns_the_actor_and_is_audited(office):
    actor = users.authenticate(username="Kierownik ", password=office.passwords["kierownik"])
    assert actor.role == Role.manager and actor.user_id == office.manager.user_id
    assert _audit_actions()[-1] == "login.success"


def test_password_is_stored_as_argon2(office):
    with db.session_scope() as session:
        stored = session.exec(sa.select(User.password_hash).where(User.username == "kierownik")).scalar_one()
    assert stored.startswith("$argon2") and office.passwords["kierownik"] not in stored


def test_unknown_user_and_wrong_password_get_the_same_message(office):
    with pytest.raises(AuthenticationFailed) as unknown:
        users.authenticate(username="nikt", password="x")
    with pytest.raises(AuthenticationFailed) as wrong:
        users.authenticate(username="kierownik", password="zle-haslo")
    assert str(unknown.value) == str(wrong.value) == "Nieprawidłowy login lub hasło."
    assert _audit_actions()[-2:] == ["login.failure", "login.failure"]


def test_five_failures_lock_the_account_for_fifteen_minutes_in_the_database(office):
    for _ in range(4):
        with pytest.raises(AuthenticationFailed, match="Nieprawidłowy"):
            users.authenticate(username="wsparcie", password="zle")
    with pytest.raises(AuthenticationFailed, match="zablokowane"):
        users.authenticate(username="wsparcie", password="zle")
    # even the right password is refused while locked
    with pytest.raises(AuthenticationFailed, match="zablokowane"):
        users.authenticate(username="wsparcie", password=office.passwords["wsparcie"])
    with db.session_scope(write=True) as session:
        user = session.exec(sa.select(User).where(User.username == "wsparcie")).scalar_one()
        assert timedelta(minutes=14) < user.locked_until - user.created_at < timedelta(minutes=16)
        user.locked_until = user.locked_until - timedelta(minutes=16)  # fifteen minutes later
        session.add(user)
    assert users.authenticate(username="wsparcie", password=office.passwords["wsparcie"]).role == Role.support
    assert "login.locked" in _audit_actions()


def test_disabled_user_cannot_log_in(office):
    users.disable_user(actor=office.manager, username="analityk")
    with pytest.raises(AuthenticationFailed, match="wyłączone"):
        users.authenticate(username="analityk", password=office.passwords["analityk"])
    assert users.actor_for(office.analyst.user_id) is None


def test_only_a_manager_administers_users(office):
    data = UserCreate(username="nowy", role="analyst", password="dlugie-haslo")
    for actor in (office.support, office.analyst):
        with pytest.raises(PermissionDenied):
            users.add_user(actor=actor, data=data)
    created = users.add_user(actor=office.manager, data=data)
    assert created.role == "analyst"
    assert [u.username for u in users.list_users(actor=office.manager)] == ["analityk", "kierownik", "nowy", "wsparcie"]
    assert users.set_role(actor=office.manager, username="nowy", role="support").role == "support"


def test_user_input_is_checked(office):
    with pytest.raises(InvalidInput) as error:
        users.add_user(actor=office.manager, data=UserCreate(username="X Y", role="boss", password="krotkie"))
    assert len(error.value.problems) == 3
    with pytest.raises(Conflict):
        users.add_user(actor=office.manager, data=UserCreate(username="kierownik", role="analyst", password="x" * 10))


def test_a_manager_cannot_lock_themselves_out(office):
    with pytest.raises(Conflict):
        users.disable_user(actor=office.manager, username="kierownik")
    with pytest.raises(Conflict):
        users.set_role(actor=office.manager, username="kierownik", role="analyst")
