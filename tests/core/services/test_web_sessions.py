"""Web sessions: the cookie route's ticket exchange, resume after a reload, idle/absolute expiry, logout."""

from datetime import timedelta

import sqlalchemy as sa

from core import db
from core.models import AuditEvent, WebSession
from core.services import users, web_sessions
from core.types import utcnow


def _cookie(actor) -> tuple[int, str]:
    web_id = web_sessions.start(actor)
    ticket = web_sessions.ticket(web_id)
    assert ticket is not None
    cookie = web_sessions.claim(ticket)
    assert cookie is not None
    return web_id, cookie


def _age(web_id: int, **delta) -> None:
    with db.session_scope(write=True) as session:
        row = session.get(WebSession, web_id)
        row.last_seen_at = row.last_seen_at - timedelta(**delta)
        session.add(row)


def test_a_claimed_ticket_gives_a_cookie_that_resumes_the_same_user(office):
    web_id, cookie = _cookie(office.manager)
    assert web_sessions.resume(cookie) == web_sessions.WebSessionRef(id=web_id, user_id=office.manager.user_id)
    assert web_sessions.alive(web_id)


def test_only_hashes_are_stored(office):
    web_id = web_sessions.start(office.support)
    ticket = web_sessions.ticket(web_id)
    cookie = web_sessions.claim(ticket)
    token = cookie.rpartition(".")[0]
    with db.session_scope() as session:
        row = session.get(WebSession, web_id)
        stored = repr(row.model_dump())
    assert token not in stored and ticket not in stored and row.token_hash and row.ticket_hash is None


def test_a_ticket_works_once(office):
    web_id = web_sessions.start(office.manager)
    ticket = web_sessions.ticket(web_id)
    assert web_sessions.claim(ticket) is not None
    assert web_sessions.claim(ticket) is None
    assert web_sessions.claim("") is None and web_sessions.claim("made-up") is None


def test_an_expired_ticket_is_refused(office):
    web_id = web_sessions.start(office.manager)
    ticket = web_sessions.ticket(web_id)
    with db.session_scope(write=True) as session:
        row = session.get(WebSession, web_id)
        row.ticket_expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
    assert web_sessions.claim(ticket) is None


def test_a_forged_or_altered_cookie_is_refused(office):
    _web_id, cookie = _cookie(office.manager)
    token, _, signature = cookie.rpartition(".")
    assert web_sessions.resume(token) is None
    assert web_sessions.resume(f"{token}.{'0' * len(signature)}") is None
    assert web_sessions.resume(f"{token[:-1]}x.{signature}") is None
    assert web_sessions.resume(None) is None and web_sessions.resume("") is None


def test_logout_revokes_the_cookie_and_is_audited(office):
    web_id, cookie = _cookie(office.support)
    web_sessions.end(web_id, office.support)
    assert web_sessions.resume(cookie) is None
    assert not web_sessions.alive(web_id)
    assert web_sessions.ticket(web_id) is None
    with db.session_scope() as session:
        actions = list(session.exec(sa.select(AuditEvent.action).order_by(AuditEvent.id)).scalars())
    assert actions[-1] == "web_session.end" and "web_session.start" in actions


def test_logout_through_the_cookie_route(office):
    _web_id, cookie = _cookie(office.manager)
    web_sessions.end_by_cookie(cookie)
    assert web_sessions.resume(cookie) is None


def test_idle_timeout_ends_the_session_and_activity_keeps_it(office):
    web_id, cookie = _cookie(office.manager)
    _age(web_id, minutes=29)
    assert web_sessions.resume(cookie) is not None  # activity: last seen moves to now
    _age(web_id, minutes=29)
    assert web_sessions.alive(web_id)
    _age(web_id, minutes=31)
    assert web_sessions.resume(cookie) is None
    assert not web_sessions.alive(web_id)


def test_the_absolute_limit_ends_even_an_active_session(office):
    web_id, cookie = _cookie(office.manager)
    with db.session_scope(write=True) as session:
        row = session.get(WebSession, web_id)
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
    assert web_sessions.resume(cookie) is None


def test_a_disabled_user_cannot_resume(office):
    _web_id, cookie = _cookie(office.support)
    users.disable_user(actor=office.manager, username="wsparcie")
    assert web_sessions.resume(cookie) is None


def test_sessions_are_independent(office):
    first_id, first = _cookie(office.manager)
    _second_id, second = _cookie(office.manager)
    assert first != second
    web_sessions.end(first_id, office.manager)
    assert web_sessions.resume(first) is None and web_sessions.resume(second) is not None


def test_housekeeping_forgets_ended_sessions_but_keeps_live_ones(office):
    from core.jobs.maintenance import forget_old_rows

    old_id, old = _cookie(office.manager)
    live_id, live = _cookie(office.support)
    web_sessions.end(old_id, office.manager)
    with db.session_scope(write=True) as session:
        row = session.get(WebSession, old_id)
        row.revoked_at = utcnow() - timedelta(days=2)
        session.add(row)
    assert forget_old_rows()["web_sessions_deleted"] == 1
    with db.session_scope() as session:
        assert session.get(WebSession, old_id) is None and session.get(WebSession, live_id) is not None
    assert web_sessions.resume(live) is not None and web_sessions.resume(old) is None
