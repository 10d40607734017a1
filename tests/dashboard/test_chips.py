"""Dates and outcomes as chips: colour and text together, expired red, soon-expiring amber (issue 11 §5)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

HARNESS = """
from datetime import UTC, datetime, timedelta
import streamlit as st
from dashboard.components.status import AMBER, RED, expiry_badge, expiry_css
now = datetime(2026, 11, 30, 12, tzinfo=UTC)
for days in (-2, 10, 90):
    when = now + timedelta(days=days)
    st.text(expiry_badge(when, now))
    st.text({RED: "red", AMBER: "amber", "": "plain"}[expiry_css(when, now)])
"""


def test_expired_red_soon_amber_later_plain():
    at = AppTest.from_string(HARNESS, default_timeout=30).run()
    assert not at.exception, at.exception
    assert [element.value for element in at.text] == [
        ":red-badge[28.11.2026 · wygasł]",
        "red",
        ":orange-badge[10.12.2026 · wygasa wkrótce]",
        "amber",
        "28.02.2027",
        "plain",
    ]
