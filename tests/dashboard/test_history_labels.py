"""Audit details and actors on the Klient page are shown by their labels, never as raw codes (issue 11 §4)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

HARNESS = """
import streamlit as st
from dashboard.klient.activity import actor_text, detail_text
st.session_state["lang"] = LANG
st.text(detail_text({"ok": False, "failure": "other_office", "method": "ksef_token", "rows": 3}))
st.text(actor_text("worker"))
st.text(actor_text("kierownik"))
"""


def render(lang: str) -> list[str]:
    at = AppTest.from_string(HARNESS.replace("LANG", repr(lang)), default_timeout=30).run()
    assert not at.exception, at.exception
    return [element.value for element in at.text]


def test_details_and_actors_in_polish():
    details, worker, person = render("pl")
    assert details == "udane: nie, przyczyna: klucz innego biura, metoda: token KSeF, wiersze: 3"
    assert worker == "konsola (wykonawca zadań)" and person == "kierownik"


def test_details_and_actors_in_english():
    details, worker, _person = render("en")
    assert details == "succeeded: no, reason: another office's key, method: KSeF token, rows: 3"
    assert worker == "console (job worker)"
