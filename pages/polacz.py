"""Połącz firmy: the connect wizard for one client or many (manager and support). Services check again."""

import streamlit as st

from dashboard.auth import require_page
from dashboard.components.flash import show_flashes
from dashboard.i18n import t
from dashboard.polacz.wizard import wizard

actor = require_page(__file__)
st.title(t("polacz.title"))
st.caption(t("polacz.intro"))
show_flashes()
wizard(actor)
