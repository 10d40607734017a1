"""The text catalogue: every label and sentence a person reads, in Polish (the default) and English, under one key.

Catalogues: `pl.py` and `en.py` hold the same keys (a test keeps them in step). Keys are `<area>.<what>`; UI keys
start with the page's name, service keys with the concept (`problem.`, `credential_status.`, `ksef.`, `cli.`, …).

Core never builds a sentence itself. It names a key and its values as a `Text`: a `str` holding the Polish
rendering (so the CLI, logs, e-mails, stored records and `str(error)` read Polish as before) that remembers its key
and values, so the UI can render it again in the reader's language with `localise`. A value that is itself a `Text`
is rendered in the same language, so a sentence may name a status or a permission; a list of values is joined with
", ", a `Joined` with its own separator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.texts.en import TEXTS as EN
from core.texts.pl import TEXTS as PL

DEFAULT_LANGUAGE = "pl"
CATALOGUES: dict[str, Mapping[str, str]] = {"pl": PL, "en": EN}


def render(key: str, lang: str = DEFAULT_LANGUAGE, /, **values: Any) -> str:
    """The text under `key` in `lang` (Polish when the key has no text there; the bare key when none at all)."""
    template = CATALOGUES.get(lang, PL).get(key) or PL.get(key)
    if template is None:
        return key  # a test checks that every key used in the code exists
    if not values:
        return template
    return template.format(**{name: _value(value, lang) for name, value in values.items()})


def known(key: str) -> bool:
    return key in PL


@dataclass(frozen=True)
class Joined:
    """Values rendered in the sentence's language and joined by `separator` (a list of values joins with ", ")."""

    items: Sequence[Any]
    separator: str = ", "


def _value(value: Any, lang: str) -> Any:
    if isinstance(value, Text):
        return value.render(lang)
    if isinstance(value, list | tuple):
        value = Joined(value)
    if isinstance(value, Joined):
        return value.separator.join(str(_value(item, lang)) for item in value.items)
    return value


class Text(str):
    """A catalogue text with its values: reads as the Polish sentence, renders in any language on request."""

    key: str
    values: dict[str, Any]

    def __new__(cls, key: str, /, **values: Any) -> Text:
        self = super().__new__(cls, render(key, DEFAULT_LANGUAGE, **values))
        self.key = key
        self.values = values
        return self

    def render(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return render(self.key, lang, **self.values)

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (self.key, self.values)


def _rebuild(key: str, values: dict[str, Any]) -> Text:
    return Text(key, **values)


# --- stored texts: a Text in a JSON column comes back as a Text (see core.db) ---------------------------------------

_MARK = "$text"
_JOINED = "$joined"


def encode(value: Any) -> Any:
    """`value` ready for JSON, every Text kept as `{"$text": key, "values": …}`; a Text's values must be JSON too
    (str, numbers, Texts, Joined, lists): format dates before they become values."""
    if isinstance(value, Text):
        return {_MARK: value.key, "values": {name: encode(item) for name, item in value.values.items()}}
    if isinstance(value, Joined):
        return {_JOINED: [encode(item) for item in value.items], "separator": value.separator}
    if isinstance(value, dict):
        return {key: encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [encode(item) for item in value]
    return value


def decode(found: dict[str, Any]) -> Any:
    """The `object_hook` of `json.loads` that turns a stored Text back into one."""
    if set(found) == {_MARK, "values"}:
        return Text(found[_MARK], **found["values"])
    if set(found) == {_JOINED, "separator"}:
        return Joined(found[_JOINED], found["separator"])
    return found


def localise(message: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A message in `lang`: a `Text` is rendered again, any other string (data, a KSeF answer) stays as it is."""
    return message.render(lang) if isinstance(message, Text) else message
