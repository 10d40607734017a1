"""Every UI text goes through `t(key, **values)`: Polish by default, English on request (the sidebar switch).

Texts live in the catalogue (core/texts: pl.py and en.py under the same keys); a service's message (a `Text`) is
shown with `localised`. Numbers, dates and amounts are formatted with core.formatting.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.texts import CATALOGUES, DEFAULT_LANGUAGE, localise, render
from dashboard import state

LANGUAGES = {"pl": "Polski", "en": "English"}


def language() -> str:
    lang = st.session_state.get(state.LANG, DEFAULT_LANGUAGE)
    return lang if lang in CATALOGUES else DEFAULT_LANGUAGE


def t(key: str, **values: Any) -> str:
    return render(key, language(), **values)


def localised(message: str) -> str:
    """A service's message (a catalogue `Text`) in the session's language; plain data stays as it is."""
    return localise(message, language())


def plural_form(count: int, lang: str) -> str:
    """Polish has three forms: 1 klienta, 2–4 (but not 12–14) klientów/wiersze, 5+ klientów/wierszy."""
    if count == 1:
        return "one"
    if lang == "pl" and count % 10 in (2, 3, 4) and count % 100 not in (12, 13, 14):
        return "few"
    return "many"


def tn(key: str, count: int, **values: Any) -> str:
    """`t` for a sentence about `count` things: looks up `key.one`, `key.few` or `key.many`."""
    return t(f"{key}.{plural_form(count, language())}", count=count, **values)


# Keys of widgets whose option labels are translated (see `relabelled`); only names, shared by all sessions.
_RELABELLED: set[str] = set()


def relabelled(key: str) -> str:
    """Mark a select widget whose option labels go through `t`; returns the key.

    The browser keeps showing the label it was given for the chosen option, so after a language switch such a
    widget's value is set again, which makes Streamlit send the label in the new language.
    """
    _RELABELLED.add(key)
    return key


def _remember_language() -> None:
    st.session_state[state.LANG] = st.session_state[state.LANG_SWITCH]
    for key in _RELABELLED:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def language_switch() -> None:
    """The sidebar language switch; the choice lives in session state under `lang`."""
    current = language()
    st.session_state[state.LANG] = current
    st.sidebar.selectbox(
        "Język / Language",
        options=list(LANGUAGES),
        index=list(LANGUAGES).index(current),
        format_func=LANGUAGES.__getitem__,
        key=state.LANG_SWITCH,
        on_change=_remember_language,
        placeholder=t("common.choose"),
    )
