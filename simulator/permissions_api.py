"""HTTP side of permissions (PROTOCOL.md §9): grants, revocations, operation status and the queries.

Grants and revocations answer 202 with an operation reference; the simulator applies them at once, so the operation
is already final (200, or 400/420 with details) when first polled.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from starlette.responses import Response

from simulator import permissions as store
from simulator.api import Call, endpoint, json_response, offset_page
from simulator.errors import ApiError, Gone
from simulator.state import Grant
from simulator.timeutil import iso

RETENTION = timedelta(days=30)
_IDENTIFIER = {
    "Nip": re.compile(r"[1-9]((\d[1-9])|([1-9]\d))\d{7}"),
    "Pesel": re.compile(r"\d{11}"),
    "Fingerprint": re.compile(r"[0-9A-Fa-f]{64}"),
}
ROLES = {"EnforcementAuthority": "EnforcementAuthority", "JST": "LocalGovernmentUnit", "VatGroup": "VatGroupUnit"}


def _identifier(identifier: dict[str, Any], name: str = "subjectIdentifier") -> tuple[str, str]:
    kind, value = identifier["type"], identifier.get("value") or ""
    pattern = _IDENTIFIER.get(kind)
    if pattern is not None and not pattern.fullmatch(value):
        raise ApiError(21405, f"{name}.value: {value!r} nie jest poprawnym identyfikatorem typu {kind}.")
    return kind, value.upper() if kind == "Fingerprint" else value


def _author(call: Call) -> tuple[str, str]:
    identity = call.require_principal().identity
    return identity.type, identity.value


def _accepted(
    call: Call, created: list[Grant], existing: list[str], failure: tuple[int, str] | None = None
) -> Response:
    context = call.require_principal().context_nip
    if failure is not None:
        operation = store.record_operation(call.sim, context, failure[0], [failure[1]])
    elif not created and existing:
        operation = store.record_operation(call.sim, context, 400, [f"Uprawnienia już nadane: {', '.join(existing)}."])
    else:
        operation = store.record_operation(call.sim, context, 200)
    return json_response({"referenceNumber": operation.reference_number}, 202)


def _person_details(details: dict[str, Any] | None) -> dict[str, Any] | None:
    if not details:
        return None
    kind = details.get("subjectDetailsType")
    chosen = details.get("personById") or details.get("personByFpWithId") or details.get("personByFpNoId") or {}
    view = {"subjectDetailsType": kind, "firstName": chosen.get("firstName"), "lastName": chosen.get("lastName")}
    for key in ("identifier", "birthDate", "idDocument"):
        if chosen.get(key):
            view["personIdentifier" if key == "identifier" else key] = chosen[key]
    return view


@endpoint("POST", "/permissions/persons/grants")
async def grant_persons(call: Call) -> Response:
    body = await call.json()
    created, existing = store.add_grants(
        call.sim,
        kind="person",
        context_nip=call.require_principal().context_nip,
        subject=_identifier(body["subjectIdentifier"]),
        permissions=[(p, False) for p in body["permissions"]],
        description=body["description"],
        author=_author(call),
        subject_details=_person_details(body["subjectDetails"]),
    )
    return _accepted(call, created, existing)


@endpoint("POST", "/permissions/entities/grants")
async def grant_entities(call: Call) -> Response:
    body = await call.json()
    created, existing = store.add_grants(
        call.sim,
        kind="entity",
        context_nip=call.require_principal().context_nip,
        subject=_identifier(body["subjectIdentifier"]),
        permissions=[(p["type"], bool(p.get("canDelegate"))) for p in body["permissions"]],
        description=body["description"],
        author=_author(call),
        subject_details={"subjectDetailsType": "EntityByIdentifier", "fullName": body["subjectDetails"]["fullName"]},
    )
    return _accepted(call, created, existing)


@endpoint("POST", "/permissions/indirect/grants")
async def grant_indirect(call: Call) -> Response:
    body = await call.json()
    office = call.require_principal().context_nip
    target = body.get("targetIdentifier") or {"type": "AllPartners"}
    target_type, target_value = target["type"], target.get("value")
    if target_type == "Nip":
        _identifier(target, "targetIdentifier")
        # A selective grant needs the partner's delegable grant to the office for each permission.
        for permission in body["permissions"]:
            if not any(
                g.can_delegate
                for g in store.find_active(
                    call.sim,
                    kind="entity",
                    context_nip=target_value,
                    subject_type="Nip",
                    subject_value=office,
                    permission=permission,
                )
            ):
                return _accepted(call, [], [], (420, f"Brak delegowalnego uprawnienia {permission} od {target_value}."))
    created, existing = store.add_grants(
        call.sim,
        kind="indirect",
        context_nip=office,
        subject=_identifier(body["subjectIdentifier"]),
        permissions=[(p, False) for p in body["permissions"]],
        description=body["description"],
        author=_author(call),
        target=(target_type, target_value),
        subject_details=_person_details(body["subjectDetails"]),
    )
    return _accepted(call, created, existing)


@endpoint("POST", "/permissions/authorizations/grants")
async def grant_authorization(call: Call) -> Response:
    body = await call.json()
    created, existing = store.add_grants(
        call.sim,
        kind="authorization",
        context_nip=call.require_principal().context_nip,
        subject=_identifier(body["subjectIdentifier"]),
        permissions=[(body["permission"], False)],
        description=body["description"],
        author=_author(call),
        subject_details={"subjectDetailsType": "EntityByIdentifier", "fullName": body["subjectDetails"]["fullName"]},
    )
    return _accepted(call, created, existing)


def _revoke(call: Call, kinds: tuple[str, ...]) -> Response:
    permission_id = call.params["permissionId"]
    grant = call.sim.state.grants.get(permission_id)
    if grant is None or grant.kind not in kinds or grant.context_nip != call.require_principal().context_nip:
        raise ApiError(21405, f"Uprawnienie o identyfikatorze {permission_id} nie istnieje w bieżącym kontekście.")
    store.revoke(call.sim, [permission_id])
    return _accepted(call, [grant], [])


@endpoint("DELETE", "/permissions/common/grants/{permissionId}")
async def revoke_common(call: Call) -> Response:
    return _revoke(call, ("person", "entity", "indirect", "system"))


@endpoint("DELETE", "/permissions/authorizations/grants/{permissionId}")
async def revoke_authorization(call: Call) -> Response:
    return _revoke(call, ("authorization",))


@endpoint("GET", "/permissions/operations/{referenceNumber}")
async def operation_status(call: Call) -> Response:
    reference = call.path_reference()
    operation = call.sim.state.operations.get(reference)
    if operation is None or operation.context_nip != call.require_principal().context_nip:
        raise ApiError(21405, f"Operacja o numerze referencyjnym {reference} nie istnieje.")
    if call.now - operation.created > RETENTION:
        raise Gone(f"Operacja {reference} nie jest już dostępna.")
    status: dict[str, Any] = {"code": operation.status_code, "description": operation.status_description}
    if operation.details:
        status["details"] = operation.details
    return json_response({"status": status})


# --- queries ------------------------------------------------------------------------------------------------------


def _target(grant: Grant) -> dict[str, Any] | None:
    if grant.kind != "indirect":
        return None
    return {"type": grant.target_type or "AllPartners", "value": grant.target_value}


def _common_filters(grants: list[Grant], body: dict[str, Any]) -> list[Grant]:
    types = body.get("permissionTypes") or []
    state = body.get("permissionState")
    target = body.get("targetIdentifier")
    return [
        g
        for g in grants
        if (not types or g.permission in types)
        and state in (None, "Active")
        and (
            not target
            or (
                (_target(g) or {}).get("type") == target["type"]
                and target.get("value") in (None, (_target(g) or {}).get("value"))
            )
        )
    ]


def _details(grant: Grant) -> dict[str, Any]:
    details = grant.subject_details or {}
    if details.get("subjectDetailsType", "").startswith("Entity"):
        return {"subjectEntityDetails": details}
    return {"subjectPersonDetails": details} if details.get("firstName") else {}


def _grant_view(g: Any, *, with_author: bool = False) -> dict[str, Any]:
    """One grant as the permission queries show it (the persons query also names who granted it)."""
    view = {
        "id": g.id,
        "contextIdentifier": {"type": "Nip", "value": g.context_nip},
        "authorizedIdentifier": {"type": g.subject_type, "value": g.subject_value},
        "targetIdentifier": _target(g),
        "permissionScope": g.permission,
        "description": g.description,
        **_details(g),
        "permissionState": "Active",
        "startDate": iso(g.start_date),
        "canDelegate": g.can_delegate,
    }
    if with_author:
        view["authorIdentifier"] = {"type": g.author_type, "value": g.author_value}
    return view


@endpoint("POST", "/permissions/query/personal/grants")
async def query_personal(call: Call) -> Response:
    principal = call.require_principal()
    body = await call.json()
    keys = store.identity_keys(principal.identity)
    context = principal.context_nip
    mine = [
        g
        for g in call.sim.state.grants.values()
        if (g.subject_type, g.subject_value) in keys
        and (
            (g.kind in (*store.DIRECT_KINDS, "entity") and g.context_nip == context)
            or (g.kind == "indirect" and g.target_value in (None, context))
        )
    ]
    wanted_context = (body.get("contextIdentifier") or {}).get("value")
    mine = [g for g in _common_filters(mine, body) if not wanted_context or g.context_nip == wanted_context]
    page, more = offset_page(call, store.grants_sorted(mine), 100)
    return json_response(
        {
            "permissions": [_grant_view(g) for g in page],
            "hasMore": more,
        }
    )


@endpoint("POST", "/permissions/query/persons/grants")
async def query_persons(call: Call) -> Response:
    body = await call.json()
    context = call.require_principal().context_nip
    kinds = (
        store.DIRECT_KINDS if body["queryType"] == "PermissionsInCurrentContext" else (*store.DIRECT_KINDS, "indirect")
    )
    grants = [g for g in call.sim.state.grants.values() if g.kind in kinds and g.context_nip == context]
    if author := body.get("authorIdentifier"):
        grants = [
            g for g in grants if g.author_type == author["type"] and author.get("value") in (None, g.author_value)
        ]
    if authorized := body.get("authorizedIdentifier"):
        grants = [g for g in grants if (g.subject_type, g.subject_value) == (authorized["type"], authorized["value"])]
    page, more = offset_page(call, store.grants_sorted(_common_filters(grants, body)), 100)
    return json_response(
        {
            "permissions": [_grant_view(g, with_author=True) for g in page],
            "hasMore": more,
        }
    )


@endpoint("POST", "/permissions/query/entities/grants")
async def query_entities(call: Call) -> Response:
    body = await call.json()
    context = call.require_principal().context_nip
    wanted = (body.get("contextIdentifier") or {}).get("value")
    grants = [
        g
        for g in call.sim.state.grants.values()
        if g.kind == "entity" and g.subject_value == context and (not wanted or g.context_nip == wanted)
    ]
    page, more = offset_page(call, store.grants_sorted(grants), 100)
    return json_response(
        {
            "permissions": [
                {
                    "id": g.id,
                    "contextIdentifier": {"type": "Nip", "value": g.context_nip},
                    "permissionScope": g.permission,
                    "description": g.description,
                    "startDate": iso(g.start_date),
                    "canDelegate": g.can_delegate,
                }
                for g in page
            ],
            "hasMore": more,
        }
    )


@endpoint("POST", "/permissions/query/authorizations/grants")
async def query_authorizations(call: Call) -> Response:
    body = await call.json()
    context = call.require_principal().context_nip
    grants = [
        g
        for g in call.sim.state.grants.values()
        if g.kind == "authorization"
        and (g.context_nip == context if body["queryType"] == "Granted" else g.subject_value == context)
    ]
    if body.get("permissionTypes"):
        grants = [g for g in grants if g.permission in body["permissionTypes"]]
    page, more = offset_page(call, store.grants_sorted(grants), 100)
    return json_response(
        {
            "authorizationGrants": [
                {
                    "id": g.id,
                    "authorIdentifier": {"type": g.author_type, "value": g.author_value}
                    if g.author_type != "System"
                    else None,
                    "authorizedEntityIdentifier": {"type": g.subject_type, "value": g.subject_value},
                    "authorizingEntityIdentifier": {"type": "Nip", "value": g.context_nip},
                    "authorizationScope": g.permission,
                    "description": g.description,
                    "startDate": iso(g.start_date),
                }
                for g in page
            ],
            "hasMore": more,
        }
    )


@endpoint("GET", "/permissions/query/entities/roles")
async def query_roles(call: Call) -> Response:
    context = call.sim.state.contexts.get(call.require_principal().context_nip)
    roles = []
    if context is not None and context.subject_type in ROLES:
        roles.append(
            {
                "role": ROLES[context.subject_type],
                "description": "Rola nadana danymi testowymi",
                "startDate": iso(context.created),
            }
        )
    page, more = offset_page(call, roles, 100)
    return json_response({"roles": page, "hasMore": more})


@endpoint("GET", "/permissions/attachments/status")
async def attachment_status(call: Call) -> Response:
    context = call.sim.context(call.require_principal().context_nip)
    return json_response({"isAttachmentAllowed": context.attachment_allowed, "revokedDate": None})
