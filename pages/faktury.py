"""Faktury: the local copy of the clients' invoices (never fetched from KSeF here), XML and UPO downloads; manager
and support send FA(3) files; the manager syncs the whole fleet. The analyst reads only."""

import streamlit as st

from core.security import Permission
from dashboard.auth import require_page
from dashboard.components.flash import show_flashes
from dashboard.faktury.send import send_section
from dashboard.faktury.sync import sync_all_button
from dashboard.faktury.table import downloads, invoice_table
from dashboard.i18n import t

actor = require_page(__file__)
st.title(t("faktury.title"))
show_flashes()
sync_all_button(actor)

if not actor.can(Permission.run_operations):
    shown = invoice_table(actor)
    downloads(actor, shown)
    st.caption(t("faktury.readonly"))
    st.stop()

# Keyed and tracked, so the open tab survives the reruns of sending and its progress.
list_tab, send_tab = st.tabs([t("faktury.tab.list"), t("faktury.tab.send")], key="faktury_tabs", on_change="rerun")
with list_tab:
    shown = invoice_table(actor)
    downloads(actor, shown)
with send_tab:
    send_section(actor)
