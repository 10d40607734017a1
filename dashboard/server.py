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

from dashboard.cookie_routes import ROUTES  # noqa: E402

app = st.App(
    ROOT / "dashboard" / "app.py",
    routes=ROUTES,
)
