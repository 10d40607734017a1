"""The TEST-environment data API (PROTOCOL.md §15): subjects, persons, ZAW-FA permissions, attachments, blocking."""

from __future__ import annotations

from starlette.responses import Response

from simulator import permissions as store
from simulator.api import Call, empty_response, endpoint
from simulator.errors import ApiError
from simulator.state import Person
from simulator.timeutil import parse_datetime


@endpoint("POST", "/testdata/subject")
async def create_subject(call: Call) -> Response:
    body = await call.json()
    existing = call.sim.state.contexts.get(body["subjectNip"])
    if existing is not None and existing.subject_type:
        raise ApiError(30001)
    context = call.sim.context(body["subjectNip"], body["description"])
    context.subject_type = body["subjectType"]
    for subunit in body.get("subunits") or []:
        call.sim.context(subunit["subjectNip"], subunit["description"])
    call.sim.touch()
    return empty_response(200)


@endpoint("POST", "/testdata/subject/remove")
async def remove_subject(call: Call) -> Response:
    body = await call.json()
    context = call.sim.state.contexts.get(body["subjectNip"])
    if context is not None:
        context.subject_type = None
        call.sim.touch()
    return empty_response(200)


@endpoint("POST", "/testdata/person")
async def create_person(call: Call) -> Response:
    body = await call.json()
    if body["nip"] in call.sim.state.persons:
        raise ApiError(30001)
    call.sim.state.persons[body["nip"]] = Person(
        nip=body["nip"],
        pesel=body["pesel"],
        is_bailiff=body["isBailiff"],
        is_deceased=bool(body.get("isDeceased")),
        description=body["description"],
    )
    call.sim.context(body["nip"])
    call.sim.touch()
    return empty_response(200)


@endpoint("POST", "/testdata/person/remove")
async def remove_person(call: Call) -> Response:
    body = await call.json()
    call.sim.state.persons.pop(body["nip"], None)
    call.sim.touch()
    return empty_response(200)


@endpoint("POST", "/testdata/permissions")
async def grant_permissions(call: Call) -> Response:
    """ZAW-FA: permissions granted on paper, recorded with author `System`."""
    body = await call.json()
    context = body["contextIdentifier"]["value"]
    authorized = body["authorizedIdentifier"]
    value = authorized["value"].upper() if authorized["type"] == "Fingerprint" else authorized["value"]
    call.sim.context(context)
    for item in body["permissions"]:
        store.add_grants(
            call.sim,
            kind="system",
            context_nip=context,
            subject=(authorized["type"], value),
            permissions=[(item["permissionType"], False)],
            description=item["description"],
            author=("System", None),
        )
    return empty_response(200)


@endpoint("POST", "/testdata/permissions/revoke")
async def revoke_permissions(call: Call) -> Response:
    body = await call.json()
    context = body["contextIdentifier"]["value"]
    authorized = body["authorizedIdentifier"]
    value = authorized["value"].upper() if authorized["type"] == "Fingerprint" else authorized["value"]
    grants = store.find_active(
        call.sim, kind="system", context_nip=context, subject_type=authorized["type"], subject_value=value
    )
    store.revoke(call.sim, [grant.id for grant in grants])
    return empty_response(200)


@endpoint("POST", "/testdata/attachment")
async def allow_attachments(call: Call) -> Response:
    body = await call.json()
    call.sim.context(body["nip"]).attachment_allowed = True
    call.sim.touch()
    return empty_response(200)


@endpoint("POST", "/testdata/attachment/revoke")
async def revoke_attachments(call: Call) -> Response:
    body = await call.json()
    call.sim.context(body["nip"]).attachment_allowed = False
    call.sim.touch()
    return empty_response(200)


async def _block(call: Call, blocked: bool) -> Response:
    body = await call.json()
    identifier = body.get("contextIdentifier")
    if not identifier:
        raise ApiError(21405, "contextIdentifier: pole jest wymagane.")
    call.sim.context(identifier["value"]).blocked = blocked
    call.sim.touch()
    return empty_response(200)


@endpoint("POST", "/testdata/context/block")
async def block_context(call: Call) -> Response:
    return await _block(call, True)


@endpoint("POST", "/testdata/context/unblock")
async def unblock_context(call: Call) -> Response:
    return await _block(call, False)


@endpoint("PUT", "/testdata/certificates/{serialNumber}")
async def shorten_certificate(call: Call) -> Response:
    body = await call.json()
    record = call.sim.state.certificates.get(call.params["serialNumber"])
    if record is None:
        raise ApiError(25008)
    try:
        record.valid_to = parse_datetime(body["validTo"])
    except ValueError:
        raise ApiError(21405, "validTo: niepoprawna data.") from None
    call.sim.touch()
    return empty_response(200)
