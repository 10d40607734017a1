"""The official OpenAPI as data: operations, their rate-limit groups and required permissions, and JSON Schema.

Everything the simulator knows about a path comes from here, so a handler can only be registered for a path and
method the official contract defines (2.7.0 snapshot, 2.6.0 for anything only it has). Schemas are converted from
OpenAPI 3.0 (`nullable`) to JSON Schema draft 4, which also keeps the boolean `exclusiveMinimum` meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from jsonschema import Draft4Validator

import ksef_spec

_METHODS = ("get", "post", "put", "delete")
_GROUP_ROW = re.compile(r"\*\*Limity liczby żądań\*\*\s*\|([^\n]*)")
_DROP_KEYS = {"example", "examples", "description", "readOnly", "writeOnly", "xml", "externalDocs"}

# Since API 2.8 closing a session is limited separately from opening it (PROTOCOL.md §19); the 2.7 descriptions still
# name the opening group, so these two are corrected here.
_GROUP_OVERRIDES = {
    ("POST", "/sessions/online/{referenceNumber}/close"): "onlineSessionClose",
    ("POST", "/sessions/batch/{referenceNumber}/close"): "batchSessionClose",
}


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    group: str  # rate-limit group; "anonymous" for the 60 req/s per IP endpoints
    limits: tuple[int, int, int]  # per second, minute, hour; -1 = unlimited
    required_permissions: tuple[str, ...]  # any of these (x-required-permissions)
    secured: bool  # Bearer token required
    body_schema: dict[str, Any] | None = field(default=None, compare=False, hash=False)
    regex: re.Pattern[str] = field(default=re.compile(""), compare=False, hash=False)


def _convert(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema draft 4 (nullable becomes a null alternative)."""
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _convert(value) for key, value in node.items() if key not in _DROP_KEYS and key != "nullable"}
    if node.get("nullable"):
        if "type" in converted and "$ref" not in converted:
            converted["type"] = [converted["type"], "null"]
            if "enum" in converted:
                converted["enum"] = [*converted["enum"], None]
        else:
            converted = {"anyOf": [{"type": "null"}, converted]}
    return converted


@cache
def spec() -> dict[str, Any]:
    """The 2.7 snapshot with the 2.6 paths and schemas it lacks merged in."""
    newest = ksef_spec.openapi("2.7")
    older = ksef_spec.openapi("2.6")
    merged = dict(newest)
    merged["paths"] = {**older["paths"], **newest["paths"]}
    merged["components"] = dict(newest["components"])
    merged["components"]["schemas"] = {**older["components"]["schemas"], **newest["components"]["schemas"]}
    return merged


@cache
def converted_schemas() -> dict[str, Any]:
    return {name: _convert(schema) for name, schema in spec()["components"]["schemas"].items()}


def validator_for(schema: dict[str, Any]) -> Draft4Validator:
    """A validator for an (OpenAPI) schema fragment that may reference components."""
    root = {**_convert(schema), "components": {"schemas": converted_schemas()}}
    return Draft4Validator(root)


def _template_regex(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{([A-Za-z0-9_]+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(f"^{pattern}$")


def _group_and_limits(method: str, template: str, operation: dict[str, Any]) -> tuple[str, tuple[int, int, int]]:
    limits = operation.get("x-rate-limits") or {}
    values = tuple(int(limits.get(key, -1)) for key in ("perSecond", "perMinute", "perHour"))
    match = _GROUP_ROW.search(operation.get("responses", {}).get("429", {}).get("description", ""))
    group = match.group(1).split("|")[-1].strip() if match else "-"
    group = _GROUP_OVERRIDES.get((method, template), group)
    return ("anonymous" if group in ("", "-") else group), values  # type: ignore[return-value]


@cache
def operations() -> dict[tuple[str, str], Operation]:
    result: dict[tuple[str, str], Operation] = {}
    for template, path_item in spec()["paths"].items():
        for method in _METHODS:
            operation = path_item.get(method)
            if operation is None:
                continue
            group, limits = _group_and_limits(method.upper(), template, operation)
            body = (operation.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema")
            result[(method.upper(), template)] = Operation(
                method=method.upper(),
                template=template,
                group=group,
                limits=limits,
                required_permissions=tuple(operation.get("x-required-permissions") or ()),
                secured=bool(operation.get("security")),
                body_schema=body,
                regex=_template_regex(template),
            )
    return result


@cache
def _ordered() -> list[Operation]:
    # Literal segments win over parameters: /auth/sessions before /auth/{referenceNumber}.
    return sorted(operations().values(), key=lambda op: (op.template.count("{"), -len(op.template)))


def match(method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    for operation in _ordered():
        if operation.method != method:
            continue
        found = operation.regex.match(path)
        if found:
            return operation, found.groupdict()
    return None


def path_exists(path: str) -> bool:
    return any(op.regex.match(path) for op in _ordered())


@cache
def body_validator(method: str, template: str) -> Draft4Validator | None:
    schema = operations()[(method, template)].body_schema
    return validator_for(schema) if schema is not None else None


def schema_errors(validator: Draft4Validator, instance: Any, limit: int = 5) -> list[str]:
    """Human-readable validator messages ("filters.dateRange.from: ..."), as KSeF's 21405 details."""
    messages = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))[:limit]:
        where = ".".join(str(part) for part in error.absolute_path) or "body"
        messages.append(f"{where}: {error.message}")
    return messages
