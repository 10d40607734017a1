"""Wygaszanie tokenów: the token-sunset campaign for manager and support (DESIGN.md §7)."""

import streamlit as st

from dashboard.auth import require_page
from dashboard.components.flash import show_flashes
from dashboard.i18n import t
from dashboard.wygaszanie.campaign import page

actor = require_page(__file__)
st.title(t("wygaszanie.title"))
st.caption(t("wygaszanie.intro"))
show_flashes()
page(actor)
