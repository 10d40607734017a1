"""Validates every simulator response a test receives against the official OpenAPI (2.7 snapshot, 2.6 fallback).

It is deliberately independent of `simulator.schema`: its own path matching and its own OpenAPI -> JSON Schema
conversion, so a mistake in the simulator's reading of the spec cannot hide itself. Properties beyond the schema are
allowed (the 2.8-2.9 superset of PROTOCOL.md §19). Installed as an httpx response hook on every client a test uses.
"""

from __future__ import annotations

import base64
import re
from datetime import date, datetime
from typing import Any

import httpx
from jsonschema import Draft4Validator, FormatChecker

import ksef_spec

_DROP = {"example", "examples", "description", "nullable", "xml", "readOnly", "writeOnly"}
_FORMATS = FormatChecker()


@_FORMATS.checks("date-time", raises=ValueError)
def _is_datetime(value: object) -> bool:
    if isinstance(value, str):
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


@_FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    if isinstance(value, str):
        date.fromisoformat(value)
    return True


@_FORMATS.checks("byte", raises=ValueError)
def _is_base64(value: object) -> bool:
    if isinstance(value, str):
        base64.b64decode(value, validate=True)
    return True


def _convert(node: Any) -> Any:
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _convert(value) for key, value in node.items() if key not in _DROP}
    if node.get("nullable"):
        return {"anyOf": [{"type": "null"}, out]}
    return out


class _Spec:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.components = {"schemas": _convert(document["components"]["schemas"])}
        self.templates = []
        for template, item in document["paths"].items():
            pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
            self.templates.append((template.count("{"), template, pattern, item))
        self.templates.sort(key=lambda entry: entry[0])

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        for _params, template, pattern, item in self.templates:
            if pattern.match(path) and method.lower() in item:
                return template, item[method.lower()]
        return None


class ResponseValidator:
    def __init__(self) -> None:
        self.specs = [_Spec(ksef_spec.openapi("2.7")), _Spec(ksef_spec.openapi("2.6"))]
        self.validated: set[tuple[str, str, int]] = set()
        self._validators: dict[int, Draft4Validator] = {}

    def _validator(self, spec: _Spec, schema: dict[str, Any]) -> Draft4Validator:
        key = id(schema)
        if key not in self._validators:
            root = {**_convert(schema), "components": spec.components}
            self._validators[key] = Draft4Validator(root, format_checker=_FORMATS)
        return self._validators[key]

    def check(self, response: httpx.Response) -> None:
        request = response.request
        if not request.url.path.startswith("/v2/"):
            return  # storage downloads, admin API and Latarnia are not KSeF OpenAPI operations
        path = request.url.path[len("/v2") :]
        found = next(((spec, op) for spec in self.specs if (op := spec.operation(request.method, path))), None)
        if found is None:
            assert response.status_code in (404, 405), f"{request.method} {path}: no such operation in the spec"
            return
        spec, (template, operation) = found
        if response.status_code >= 500:
            return  # injected faults; KSeF documents no 5xx bodies
        documented = operation["responses"].get(str(response.status_code))
        assert documented is not None, f"{request.method} {template}: status {response.status_code} not in the spec"
        content = documented.get("content") or {}
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        if not content:
            assert not response.content, f"{request.method} {template} {response.status_code}: body not expected"
        else:
            assert media_type in content, f"{request.method} {template} {response.status_code}: {media_type!r}"
            schema = content[media_type].get("schema")
            if schema is not None and media_type.endswith("json"):
                errors = sorted(self._validator(spec, schema).iter_errors(response.json()), key=str)
                assert not errors, f"{request.method} {template} {response.status_code}: " + "; ".join(
                    f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]
                )
        if response.status_code == 429:
            assert response.headers.get("retry-after", "").isdigit(), "429 without an integer Retry-After"
        self.validated.add((request.method, template, response.status_code))

    def request_body_is_valid(self, method: str, template: str, body: Any) -> bool:
        """Whether the official request schema accepts `body` (for deciding what the simulator must refuse)."""
        spec = self.specs[0]
        operation = spec.document["paths"][template][method.lower()]
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        return self._validator(spec, schema).is_valid(body)

    def hook(self, response: httpx.Response) -> None:
        response.read()
        self.check(response)
