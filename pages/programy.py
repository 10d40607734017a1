"""Programy klientów: per client, the invitations of its people, what the office allows it, and its programs' links
to the intake API (last contact, documents exchanged, errors; reset the password, remove the link). Manager and
support; the services check every permission again."""

import streamlit as st

from dashboard.auth import require_page
from dashboard.clientside.programs import office_programs, programs_page
from dashboard.i18n import t
from dashboard.klient.selection import picker

actor = require_page(__file__)
st.title(t("programy.title"))
client = picker(actor)
if client is not None:
    programs_page(actor, client.id, client.name)
else:
    office_programs(actor)
