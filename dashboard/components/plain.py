"""Text from outside (an invoice file, an e-mail) shown inside Markdown as the characters it is."""

from __future__ import annotations

import re

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: str) -> str:
    """`text` with Markdown's special characters escaped, so Streamlit shows it as written."""
    return _MARKDOWN.sub(r"\\\1", text)
