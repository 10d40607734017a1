"""The cookie routes: a ticket becomes a signed HttpOnly, SameSite=Strict cookie; logout revokes and clears it."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.services import web_sessions
from dashboard.cookie_routes import ROUTES


def client() -> TestClient:
    return TestClient(Starlette(routes=ROUTES), base_url="http://127.0.0.1")


def test_a_ticket_sets_the_cookie_once_and_logout_clears_and_revokes_it(office):
    web_id = web_sessions.start(office.manager)
    ticket = web_sessions.ticket(web_id)
    browser = client()
    answer = browser.post("/api/session", json={"ticket": ticket})
    assert answer.status_code == 204
    header = answer.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=strict" in header and "path=/" in header and "secure" not in header
    cookie = browser.cookies[web_sessions.COOKIE_NAME]
    assert web_sessions.resume(cookie) is not None
    assert client().post("/api/session", json={"ticket": ticket}).status_code == 403  # used once
    ended = browser.post("/api/session/end")
    assert ended.status_code == 204 and "max-age=0" in ended.headers["set-cookie"].lower()
    assert web_sessions.resume(cookie) is None


def test_bad_requests_get_no_cookie(office):
    for body in ({"json": {"ticket": "made-up"}}, {"json": {}}, {"content": b"not json"}, {"json": ["x"]}):
        answer = client().post("/api/session", **body)
        assert answer.status_code == 403 and "set-cookie" not in answer.headers


def test_behind_a_tls_proxy_the_cookie_is_secure(office):
    ticket = web_sessions.ticket(web_sessions.start(office.support))
    answer = client().post("/api/session", json={"ticket": ticket}, headers={"X-Forwarded-Proto": "https"})
    assert "secure" in answer.headers["set-cookie"].lower()
