"""The UI server: Streamlit's app (dashboard/app.py) plus the two routes that set and clear the login cookie.

`streamlit run dashboard/server.py` finds `app` below and serves it (Streamlit's st.App). Streamlit talks to the
browser over a websocket, which cannot set a cookie; these plain HTTP routes can, and only they ever see the session
id: the page POSTs a one-time ticket to `/api/session`, the response sets a signed, HttpOnly, SameSite=Strict cookie;
`/api/session/end` revokes the session and clears the cookie. Pages read the cookie from `st.context.cookies`.
"""

import sys
from pathlib import Path

# Run as a script by Streamlit: make the project importable (as app.py does).
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from starlette.concurrency import run_in_threadpool  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import Response  # noqa: E402
from starlette.routing import Route  # noqa: E402

from core.services import web_sessions  # noqa: E402


def _secure(request: Request) -> bool:
    # Behind the TLS proxy (README, production notes) the cookie must never travel over plain HTTP.
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


async def claim_session(request: Request) -> Response:
    form = await request.json() if request.headers.get("content-type", "").startswith("application/json") else {}
    ticket = str(form.get("ticket", "")) if isinstance(form, dict) else ""
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


app = st.App(
    ROOT / "dashboard" / "app.py",
    routes=[
        Route("/api/session", claim_session, methods=["POST"]),
        Route("/api/session/end", end_session, methods=["POST"]),
    ],
)
