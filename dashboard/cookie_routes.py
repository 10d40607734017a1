"""The two plain HTTP routes that set and clear the login cookie (served beside Streamlit by dashboard/server.py).

Only these routes ever see a session id: the page POSTs its one-time ticket to `/api/session`, whose response sets a
signed, HttpOnly, SameSite=Strict cookie; `/api/session/end` revokes the session and clears the cookie.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.services import web_sessions


def _secure(request: Request) -> bool:
    # Behind the TLS proxy (README, production notes) the cookie must never travel over plain HTTP.
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


async def claim_session(request: Request) -> Response:
    try:
        body = await request.json()
    except ValueError:  # not JSON: no ticket
        body = {}
    ticket = str(body.get("ticket", "")) if isinstance(body, dict) else ""
    cookie = await run_in_threadpool(web_sessions.claim, ticket)
    if cookie is None:
        return Response(status_code=403)
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.set_cookie(
        web_sessions.COOKIE_NAME,
        cookie,
        max_age=web_sessions.MAX_HOURS * 3600,
        path="/",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    return response


async def end_session(request: Request) -> Response:
    await run_in_threadpool(web_sessions.end_by_cookie, request.cookies.get(web_sessions.COOKIE_NAME))
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.delete_cookie(
        web_sessions.COOKIE_NAME, path="/", httponly=True, samesite="strict", secure=_secure(request)
    )
    return response


ROUTES = [
    Route("/api/session", claim_session, methods=["POST"]),
    Route("/api/session/end", end_session, methods=["POST"]),
]
