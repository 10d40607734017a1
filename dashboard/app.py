"""The entry of the UI: `streamlit run dashboard/server.py` (which serves this script with the cookie routes).

Page config, the language switch, the login gate and the navigation built for the signed-in user's role. Before
login every page address shows the login page, so a bookmarked or shared link (`/klient?nip=…`) lands where it
pointed once the user has signed in; after it, only the pages the role may use (dashboard/nav.py) are registered, and
any other address gets a Polish message instead of Streamlit's English "Page not found".
"""

import sys
from pathlib import Path

# `streamlit run dashboard/app.py` puts dashboard/ on sys.path, not the project root; make `import dashboard` work
# even in an environment installed before dashboard/ existed.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard import activation, auth, nav  # noqa: E402
from dashboard.components.chrome import translate_chrome  # noqa: E402
from dashboard.i18n import language_switch, t  # noqa: E402

st.set_page_config(page_title="KSeF Office Console", page_icon=":material/receipt_long:", layout="wide")
language_switch()
translate_chrome()
actor = auth.signed_in_actor()
if actor is None:
    # The invitation's link: a single-use token that lets a client's person set a password (no session).
    activate = st.Page(activation.activation_page, title=t("aktywacja.title"), icon=":material/how_to_reg:",
                       url_path="aktywacja")  # fmt: skip
    page = st.navigation(nav.signed_out_pages(auth.login_page, extra=[activate]))
else:
    auth.user_box(actor)
    auth.bind_cookie()
    page = st.navigation(nav.pages_for(actor))
page.run()
