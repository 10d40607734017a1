"""The permission store: who may do what in which context (PROTOCOL.md §9 and the office model of §16).

`effective_permissions` is the single judge: it decides 415 at authentication, the permissions baked into an access
token, and therefore every 403 `missing-permissions`. Sources, in order:
- the owner (the subject's NIP is the context, or a PESEL linked to it by /testdata/person) holds everything a
  person can hold;
- person and ZAW-FA (/testdata/permissions) grants in the context to one of the subject's identifiers;
- entity grants in the context to the subject's NIP (the office's seal or the office NIP in a certificate);
- indirect grants the office made in its own context to a person, selective (target = this context) or AllPartners,
  effective only while this context granted the office the same permission with `canDelegate`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from simulator.state import Grant, Identity, OperationStatus

if TYPE_CHECKING:
    from simulator.runtime import Simulator

# Owner has everything except VatUeManage; EnforcementOperations only for enforcement authorities (PROTOCOL.md §9).
OWNER_PERMISSIONS = (
    "CredentialsManage",
    "CredentialsRead",
    "InvoiceWrite",
    "InvoiceRead",
    "Introspection",
    "SubunitManage",
    "CollectiveIdentifierManage",
)
DIRECT_KINDS = ("person", "system")

OPERATION_STATUS = {
    100: "Operacja przyjęta do realizacji",
    200: "Operacja zakończona sukcesem",
    400: "Operacja zakończona niepowodzeniem",
    410: "Podane identyfikatory są niezgodne lub pozostają w niewłaściwej relacji",
    420: "Użyte poświadczenia nie mają uprawnień do wykonania tej operacji",
}


def new_permission_id() -> str:
    """PermissionId is 36 characters (spec); a UUID-shaped hex string fits."""
    raw = secrets.token_hex(16)
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


def identity_keys(identity: Identity) -> set[tuple[str, str]]:
    keys = {(identity.type, identity.value)}
    if identity.nip:
        keys.add(("Nip", identity.nip))
    if identity.pesel:
        keys.add(("Pesel", identity.pesel))
    if identity.fingerprint:
        keys.add(("Fingerprint", identity.fingerprint.upper()))
    return {(kind, value.upper() if kind == "Fingerprint" else value) for kind, value in keys}


def _subject_key(grant: Grant) -> tuple[str, str]:
    value = grant.subject_value.upper() if grant.subject_type == "Fingerprint" else grant.subject_value
    return grant.subject_type, value


def is_owner(sim: Simulator, identity: Identity, context_nip: str) -> bool:
    if identity.nip == context_nip:
        return True
    person = sim.state.persons.get(context_nip)
    return bool(person and identity.pesel and person.pesel == identity.pesel)


def effective_permissions(sim: Simulator, identity: Identity, context_nip: str) -> list[str]:
    permissions: set[str] = set()
    if is_owner(sim, identity, context_nip):
        permissions.update(OWNER_PERMISSIONS)
        context = sim.state.contexts.get(context_nip)
        person = sim.state.persons.get(context_nip)
        if (context and context.subject_type == "EnforcementAuthority") or (person and person.is_bailiff):
            permissions.add("EnforcementOperations")
    keys = identity_keys(identity)
    for grant in sim.state.grants.values():
        if _subject_key(grant) not in keys:
            continue
        direct = grant.kind in (*DIRECT_KINDS, "entity") and grant.context_nip == context_nip
        if direct or (grant.kind == "indirect" and _indirect_applies(sim, grant, context_nip)):
            permissions.add(grant.permission)
    return sorted(permissions)


def _indirect_applies(sim: Simulator, grant: Grant, context_nip: str) -> bool:
    if grant.target_type == "Nip" and grant.target_value != context_nip:
        return False
    if grant.target_type not in (None, "Nip", "AllPartners"):
        return False  # InternalId targets need subunits, which the simulator does not model
    return any(
        delegated.kind == "entity"
        and delegated.context_nip == context_nip
        and delegated.subject_type == "Nip"
        and delegated.subject_value == grant.context_nip
        and delegated.permission == grant.permission
        and delegated.can_delegate
        for delegated in sim.state.grants.values()
    )


def find_active(sim: Simulator, **criteria: str | None) -> list[Grant]:
    return [
        grant
        for grant in sim.state.grants.values()
        if all(getattr(grant, name) == value for name, value in criteria.items())
    ]


def add_grants(
    sim: Simulator,
    *,
    kind: str,
    context_nip: str,
    subject: tuple[str, str],
    permissions: Iterable[tuple[str, bool]],
    description: str,
    author: tuple[str, str | None],
    target: tuple[str | None, str | None] = (None, None),
    subject_details: dict | None = None,
) -> tuple[list[Grant], list[str]]:
    """Store one grant per permission; returns (new grants, permissions that already existed)."""
    created, existing = [], []
    for permission, can_delegate in permissions:
        duplicate = [
            grant
            for grant in find_active(
                sim,
                kind=kind,
                context_nip=context_nip,
                subject_type=subject[0],
                permission=permission,
                target_type=target[0],
                target_value=target[1],
            )
            if _subject_key(grant) == (subject[0], subject[1].upper() if subject[0] == "Fingerprint" else subject[1])
        ]
        if duplicate:
            existing.append(permission)
            continue
        grant = Grant(
            id=new_permission_id(),
            kind=kind,
            context_nip=context_nip,
            subject_type=subject[0],
            subject_value=subject[1],
            permission=permission,
            description=description,
            start_date=sim.now(),
            author_type=author[0],
            author_value=author[1],
            can_delegate=can_delegate,
            target_type=target[0],
            target_value=target[1],
            subject_details=subject_details,
        )
        sim.state.grants[grant.id] = grant
        created.append(grant)
    sim.touch()
    return created, existing


def record_operation(
    sim: Simulator, context_nip: str, code: int, details: list[str] | None = None, *, infix: str = "EG"
) -> OperationStatus:
    operation = OperationStatus(
        reference_number=sim.reference_number(infix),
        created=sim.now(),
        context_nip=context_nip,
        status_code=code,
        status_description=OPERATION_STATUS.get(code, OPERATION_STATUS[400]),
        details=details or [],
    )
    sim.state.operations[operation.reference_number] = operation
    sim.touch()
    return operation


def revoke(sim: Simulator, grant_ids: Iterable[str]) -> int:
    removed = 0
    for grant_id in list(grant_ids):
        if sim.state.grants.pop(grant_id, None) is not None:
            removed += 1
    sim.touch()
    return removed


def grants_sorted(grants: Iterable[Grant]) -> list[Grant]:
    """The spec's default order for permission queries: dateCreated Desc, id Asc."""
    return sorted(grants, key=lambda grant: (-_ts(grant.start_date), grant.id))


def _ts(value: datetime) -> float:
    return value.timestamp()
