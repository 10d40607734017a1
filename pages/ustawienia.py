"""Ustawienia (manager only): office data and master account, package, environments, schedule, notifications,
users and roles. Every save is a service call that checks the role again and writes an audit event."""

import streamlit as st

from core.services import office
from core.services.usage import package
from dashboard.auth import require_page
from dashboard.components.errors import attempt
from dashboard.components.flash import show_flashes
from dashboard.i18n import t
from dashboard.ustawienia.notifications import notifications_tab
from dashboard.ustawienia.office import environments_tab, office_tab, schedule_tab
from dashboard.ustawienia.package import package_tab
from dashboard.ustawienia.users import users_tab

actor = require_page(__file__)
st.title(t("ustawienia.title"))
show_flashes()

labels = [
    t("ustawienia.tab.office"),
    t("ustawienia.tab.package"),
    t("ustawienia.tab.environments"),
    t("ustawienia.tab.schedule"),
    t("ustawienia.tab.notifications"),
    t("ustawienia.tab.users"),
]
# Keyed and tracked, so the open tab survives the rerun after a save (a message above it used to reset it).
office_t, package_t, environments_t, schedule_t, notifications_t, users_t = st.tabs(
    labels, key="ustawienia_tabs", on_change="rerun"
)
view = attempt(lambda: office.office_settings(actor=actor))
usage = attempt(lambda: package.package_usage(actor=actor))
with office_t:
    if view is not None:
        office_tab(view)
with package_t:
    if usage is not None:
        package_tab(usage)
with environments_t:
    environments_tab()
with schedule_t:
    if view is not None:
        schedule_tab()
with notifications_t:
    notifications_tab()
with users_t:
    users_tab()
