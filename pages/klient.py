"""Klient: one client — its link and company key, credentials, signature, rights doctor, self-test, sync state,
open problems and history. Everyone with `view` reads it; the analyst sees neither the key nor any credential and
runs nothing. Services check every permission again."""

import streamlit as st

from core.security import Permission
from core.services.linking import detail as client_detail
from dashboard.auth import require_page
from dashboard.components.errors import attempt
from dashboard.components.flash import show_flashes
from dashboard.faktury.invoice_view import client_invoices
from dashboard.i18n import t
from dashboard.klient.activity import history_section, problems_section
from dashboard.klient.company_key import company_key_section, reissue_dialog
from dashboard.klient.credentials import credentials_section
from dashboard.klient.doctor import rights_section, selftest_section
from dashboard.klient.header import header, link_facts
from dashboard.klient.link_actions import actions_section, connect_section, unlink_dialog
from dashboard.klient.selection import forget_other_client_choices, picker
from dashboard.klient.sync import sync_section

actor = require_page(__file__)
client = picker(actor)
if client is None:
    st.title(t("klient.title"))
    st.stop()
chosen = client
forget_other_client_choices(client.id)
link = attempt(lambda: client_detail.link_details(actor=actor, client_id=chosen.id))
header(client, link)
show_flashes()

operator = actor.can(Permission.run_operations)
sections = ["link", *(["credentials"] if actor.can(Permission.view_secrets_metadata) else [])]
sections += [*(["doctor"] if operator else []), "sync", "invoices", "activity"]
# Keyed and tracked: the open tab survives reruns, and hidden tabs do no work.
tabs = st.tabs([t(f"klient.tab.{name}") for name in sections], key="klient_tabs", on_change="rerun")
opened = {name: tab for name, tab in zip(sections, tabs, strict=True) if tab.open}
if "link" in opened:
    with opened["link"]:
        link_facts(link)
        if actor.can(Permission.view_secrets_metadata):
            company_key_section(actor, client)
        if operator:
            actions_section(actor, client, link)
            connect_section(actor, client, link)
if "credentials" in opened:
    with opened["credentials"]:
        credentials_section(actor, client)
if "doctor" in opened:
    with opened["doctor"]:
        rights_section(client)
        selftest_section(client)
if "sync" in opened:
    with opened["sync"]:
        sync_section(actor, client)
if "invoices" in opened:
    with opened["invoices"]:
        client_invoices(actor, client.id)
if "activity" in opened:
    with opened["activity"]:
        problems_section(actor, client)
        history_section(actor, client)
if not operator:
    st.caption(t("klient.readonly"))
reissue_dialog(actor, client)
unlink_dialog(actor, client)
