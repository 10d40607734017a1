"""Streamlit's own English words in the Polish UI, replaced where Streamlit offers no parameter for them.

Widget parameters come first (`placeholder=` on selects, `format="DD.MM.YYYY"` on dates). What remains is drawn by
Streamlit's frontend in English whatever the browser's language: the file uploader's "Upload" button and its
"200MB per file" line, the date field's "yyyy" placeholder, and the code block's "Copy to clipboard" button. A style
sheet (sent once per run, it takes no space) hides those words and shows the catalogue's text in their place; the copy
button is hidden (the text can still be selected and copied). Selectors are Streamlit's stable `data-testid`s.
"""

from __future__ import annotations

import json

import streamlit as st

from dashboard.i18n import language, t


def _css_text(key: str) -> str:
    return json.dumps(t(key))  # a quoted CSS string (JSON's escaping is valid CSS for these texts)


def translate_chrome() -> None:
    """Called once per run by app.py; English needs nothing."""
    if language() == "en":
        return
    uploader = '[data-testid="stFileUploaderDropzone"]'
    st.html(
        f"""<style>
{uploader} button [data-testid="stMarkdownContainer"] {{ display: none; }}
{uploader} button span[data-has-shortcut]::after {{ content: {_css_text("chrome.upload_button")}; }}
[data-testid="stFileUploaderDropzoneInstructions"] span {{ display: none; }}
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {{
  content: {_css_text("chrome.upload_limit")}; font-size: 0.875rem; opacity: 0.6;
}}
[data-testid="stDateInput"] [data-type="year"][data-placeholder="true"] {{ font-size: 0; }}
[data-testid="stDateInput"] [data-type="year"][data-placeholder="true"]::after {{
  content: {_css_text("chrome.year_placeholder")}; font-size: 1rem;
}}
[data-testid="stCode"] [data-testid="stElementToolbarButton"] {{ display: none; }}
</style>"""
    )
