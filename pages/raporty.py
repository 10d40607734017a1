"""Raporty: usage by client × month × operation kind, link and credential status, the certificate calendar — each
with a chart and a preview, exported as CSV for Polish Excel or XLSX (large ones built by the worker)."""

import streamlit as st

from dashboard.auth import require_page
from dashboard.i18n import t
from dashboard.raporty.export import export_section
from dashboard.raporty.filters import chooser
from dashboard.raporty.view import report_preview

actor = require_page(__file__)
st.title(t("raporty.title"))
choice = chooser(actor)
export_section(actor, choice)
st.divider()
report_preview(actor, choice)
