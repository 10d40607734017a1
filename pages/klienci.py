"""Klienci: the client register. Everyone with `view` reads it; manager and support add, edit and import;
only the manager archives. Services check every permission again."""

import streamlit as st

from core.security import Permission
from dashboard.auth import require_page
from dashboard.components.flash import show_flashes
from dashboard.i18n import t
from dashboard.klienci.archive import archive_button, archive_dialog
from dashboard.klienci.forms import add_form, edit_form, pick_client
from dashboard.klienci.importer import import_section
from dashboard.klienci.table import client_table

actor = require_page(__file__)
st.title(t("klienci.title"))
show_flashes()
shown = client_table(actor)

if not actor.can(Permission.manage_clients):
    st.caption(t("klienci.readonly"))
    st.stop()

# Keyed and tracked, so the open tab survives reruns that add or remove messages above it.
labels = [t("klienci.tab.add"), t("klienci.tab.edit"), t("klienci.tab.import")]
add_tab, edit_tab, import_tab = st.tabs(labels, key="klienci_tabs", on_change="rerun")
with add_tab:
    add_form()
with edit_tab:
    client = pick_client(actor, shown)
    if client is not None:
        edit_form(client)
        archive_button(actor, client)
with import_tab:
    import_section(actor)
archive_dialog(actor)
