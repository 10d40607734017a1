"""Wsparcie: the support inbox — open problems grouped by class, explained in Polish, retried or fixed in one
click (manager and support). Services check every permission again."""

import streamlit as st

from dashboard.auth import require_page
from dashboard.components.flash import show_flashes
from dashboard.i18n import t
from dashboard.klient.selection import follow_open_request
from dashboard.wsparcie.inbox import inbox

actor = require_page(__file__)
follow_open_request()
st.title(t("wsparcie.title"))
st.caption(t("wsparcie.intro"))
show_flashes()
inbox(actor)
