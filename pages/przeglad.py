"""Przegląd: the office at a glance for every role — KPI tiles, alerts, charts — refreshed by a fragment."""

import streamlit as st

from dashboard.auth import require_page
from dashboard.components.flash import show_flashes
from dashboard.i18n import t
from dashboard.przeglad.board import board

require_page(__file__)
st.title(t("przeglad.title"))
show_flashes()
board()
