"""Web sessions: a signed-in browser keeps its login across reloads, typed URLs and new tabs.

How it works (Streamlit cannot set a cookie over its websocket):
1. The login form authenticates (`users.authenticate`) and `start` records a web session for the user.
2. In the same page run `ticket` issues a one-time ticket (valid `TICKET_SECONDS`, only its hash is stored) that the
   page POSTs to the cookie route (dashboard/server.py); `claim` turns it into a fresh random session id whose hash is
   stored, and the route sets it as a signed, HttpOnly, SameSite=Strict cookie. The id itself is never stored, never in
   Streamlit's session state and never in a URL.
3. A new Streamlit session (F5, a typed URL, a new tab) reads the cookie (`st.context.cookies`) and `resume`s.
4. `end` (logout) revokes the row, so the cookie stops working even if the browser keeps it.
A session ends after `idle_timeout_minutes` without activity, or `MAX_HOURS` after login, whichever comes first.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from core import audit
from core.crypto import load_keyring
from core.db import session_scope
from core.models import User, WebSession
from core.security import Actor
from core.settings import get_settings
from core.types import utcnow

COOKIE_NAME = "ksef_console_session"
TICKET_SECONDS = 120
MAX_HOURS = 12
# Activity is written at most this often, so a burst of clicks is not a burst of writes.
TOUCH_SECONDS = 30


@dataclass(frozen=True)
class WebSessionRef:
    id: int
    user_id: int


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _signing_key() -> bytes:
    # Derived from the master key, so rotating it signs everyone out (the cookie ids stay random either way).
    return hmac.new(load_keyring().primary, b"ksef-console-web-session-cookie", hashlib.sha256).digest()


def _sign(token: str) -> str:
    return f"{token}.{hmac.new(_signing_key(), token.encode(), hashlib.sha256).hexdigest()}"


def _unsign(cookie: str) -> str | None:
    token = cookie.rpartition(".")[0]
    if not token or not hmac.compare_digest(_sign(token), cookie):
        return None
    return token


def _usable(row: WebSession) -> bool:
    now = utcnow()
    idle = timedelta(minutes=get_settings().idle_timeout_minutes)
    return row.revoked_at is None and row.expires_at > now and now - row.last_seen_at <= idle


def _touch(session: Session, row: WebSession) -> None:
    now = utcnow()
    if (now - row.last_seen_at).total_seconds() >= TOUCH_SECONDS:
        row.last_seen_at = now
        session.add(row)


def start(actor: Actor) -> int:
    """A new web session for a user who has just signed in; returns its row id (not a secret)."""
    assert actor.user_id is not None
    now = utcnow()
    with session_scope(write=True) as session:
        row = WebSession(
            user_id=actor.user_id, created_at=now, last_seen_at=now, expires_at=now + timedelta(hours=MAX_HOURS)
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        audit.record(session, actor, "web_session.start", actor.username, web_session=row.id)
        return row.id


def ticket(web_session_id: int) -> str | None:
    """A one-time ticket the browser exchanges for the cookie (None when the session is no longer usable)."""
    value = secrets.token_urlsafe(32)
    with session_scope(write=True) as session:
        row = session.get(WebSession, web_session_id)
        if row is None or not _usable(row):
            return None
        row.ticket_hash = _digest(value)
        row.ticket_expires_at = utcnow() + timedelta(seconds=TICKET_SECONDS)
        session.add(row)
    return value


def claim(ticket_value: str) -> str | None:
    """Consume a ticket; returns the signed cookie value of a fresh session id, or None for a bad/expired ticket."""
    if not ticket_value:
        return None
    token = secrets.token_urlsafe(32)
    with session_scope(write=True) as session:
        row = session.exec(select(WebSession).where(WebSession.ticket_hash == _digest(ticket_value))).first()
        if row is None:
            return None
        expired = row.ticket_expires_at is None or row.ticket_expires_at < utcnow()
        row.ticket_hash = None  # single use, also when it came too late
        row.ticket_expires_at = None
        session.add(row)
        if expired or not _usable(row):
            return None
        row.token_hash = _digest(token)
    return _sign(token)


def _by_cookie(session: Session, cookie: str | None) -> WebSession | None:
    token = _unsign(cookie) if isinstance(cookie, str) and cookie else None
    if token is None:
        return None
    return session.exec(select(WebSession).where(WebSession.token_hash == _digest(token))).first()


def resume(cookie: str | None) -> WebSessionRef | None:
    """The web session a browser's cookie names, if it is still usable and its user still enabled."""
    with session_scope(write=True) as session:
        row = _by_cookie(session, cookie)
        if row is None or not _usable(row):
            return None
        user = session.get(User, row.user_id)
        if user is None or user.disabled_at is not None:
            return None
        _touch(session, row)
        assert row.id is not None
        return WebSessionRef(id=row.id, user_id=row.user_id)


def alive(web_session_id: int) -> bool:
    """Whether a signed-in page may go on (not revoked, not idle, not too old); counts as activity."""
    with session_scope(write=True) as session:
        row = session.get(WebSession, web_session_id)
        if row is None or not _usable(row):
            return False
        _touch(session, row)
        return True


def end(web_session_id: int, actor: Actor | None = None) -> None:
    """Logout: the session's cookie no longer works anywhere."""
    with session_scope(write=True) as session:
        row = session.get(WebSession, web_session_id)
        if row is None or row.revoked_at is not None:
            return
        row.revoked_at = utcnow()
        row.ticket_hash = None
        session.add(row)
        if actor is not None:
            audit.record(session, actor, "web_session.end", actor.username, web_session=web_session_id)


def end_by_cookie(cookie: str | None) -> None:
    """Logout from the cookie route (the browser's cookie is cleared there too)."""
    with session_scope(write=True) as session:
        row = _by_cookie(session, cookie)
        if row is not None and row.revoked_at is None:
            row.revoked_at = utcnow()
            session.add(row)
