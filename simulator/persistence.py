"""`--state FILE`: the whole `SimState` as JSON, written atomically, read back on start.

Dataclasses are (de)serialised generically from their type hints: datetimes as ISO strings, dates as ISO dates,
bytes as Base64. Transient things (challenges, exports, rate-limit windows, stats) are not saved.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import tempfile
import types
import typing
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from simulator import state as state_module
from simulator.state import SimState

FORMAT_VERSION = 1


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: to_jsonable(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {key: to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(state_module))


def from_jsonable(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return from_jsonable(options[0], value) if options else value
    if origin is list:
        (item,) = typing.get_args(hint) or (Any,)
        return [from_jsonable(item, element) for element in value]
    if origin is dict:
        _key, item = typing.get_args(hint) or (str, Any)
        return {key: from_jsonable(item, element) for key, element in value.items()}
    if hint is datetime:
        return datetime.fromisoformat(value)
    if hint is date:
        return date.fromisoformat(value)
    if hint is bytes:
        return base64.b64decode(value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        hints = _hints(hint)
        known = {field.name for field in dataclasses.fields(hint)}
        return hint(**{name: from_jsonable(hints[name], item) for name, item in value.items() if name in known})
    return value


def snapshot(simulator_state: SimState, invoice_cache: dict[str, Any] | None = None) -> dict[str, Any]:
    """Plain data for JSON. Invoices never change once stored, so their converted form can be cached by the caller:
    that keeps the part done on the event loop small; `json.dumps` of the result can then run in a thread."""
    cache = invoice_cache if invoice_cache is not None else {}
    data = {
        field.name: to_jsonable(getattr(simulator_state, field.name))
        for field in dataclasses.fields(simulator_state)
        if field.name != "invoices"
    }
    invoices = {}
    for number, invoice in simulator_state.invoices.items():
        if number not in cache:
            cache[number] = to_jsonable(invoice)
        invoices[number] = cache[number]
    data["invoices"] = invoices
    return {"version": FORMAT_VERSION, "state": data}


def encode(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False)


def dumps(simulator_state: SimState) -> str:
    return encode(snapshot(simulator_state))


def save(simulator_state: SimState, path: Path) -> None:
    write_text(dumps(simulator_state), path)


def write_text(text: str, path: Path) -> None:
    """Write next to the target and rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def load(path: Path) -> SimState | None:
    if not path.exists():
        return None
    document = json.loads(path.read_text(encoding="utf-8"))
    if document.get("version") != FORMAT_VERSION:
        raise ValueError(f"{path}: unsupported state format {document.get('version')!r}")
    return from_jsonable(SimState, document["state"])
