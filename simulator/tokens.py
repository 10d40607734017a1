"""KSeF tokens (PROTOCOL.md §10): generate, list, get, revoke.

The token string follows the spec's example, `<referenceNumber>|<contextType>-<contextValue>|<secret>`, so a client
can read the context a token belongs to. A token's permission set is frozen at generation.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from starlette.responses import Response

from simulator.api import Call, continuation_page, empty_response, endpoint, json_response
from simulator.errors import ApiError
from simulator.runtime import Simulator
from simulator.state import KsefToken
from simulator.timeutil import iso, iso_or_none

MANAGERS = ("CredentialsManage",)
READERS = ("CredentialsManage", "CredentialsRead")
STABLE_DAY = "20260201"  # deterministic tokens must not change with the date they are created on


def create_token(
    sim: Simulator,
    *,
    context_nip: str,
    permissions: list[str],
    description: str,
    author: tuple[str, str],
    deterministic_seed: bytes | None = None,
) -> KsefToken:
    """Store an Active token; with a seed, reference and secret are derived from it (stable demo credentials)."""
    if deterministic_seed is None:
        reference, secret = sim.reference_number("EC"), secrets.token_hex(32)
    else:
        digest = hmac.new(deterministic_seed, context_nip.encode(), hashlib.sha256).hexdigest().upper()
        reference = f"{STABLE_DAY}-EC-{digest[:10]}-{digest[10:20]}-{digest[20:22]}"
        secret = hmac.new(deterministic_seed, f"secret|{context_nip}".encode(), hashlib.sha256).hexdigest()
    token = KsefToken(
        reference_number=reference,
        secret=f"{reference}|nip-{context_nip}|{secret}",
        context_type="Nip",
        context_value=context_nip,
        author_type=author[0],
        author_value=author[1],
        description=description,
        permissions=sorted(set(permissions)),
        created=sim.now(),
    )
    sim.state.tokens[reference] = token
    sim.touch()
    return token


def _view(token: KsefToken) -> dict[str, Any]:
    return {
        "referenceNumber": token.reference_number,
        "authorIdentifier": {"type": token.author_type, "value": token.author_value},
        "contextIdentifier": {"type": token.context_type, "value": token.context_value},
        "description": token.description,
        "requestedPermissions": token.permissions,
        "dateCreated": iso(token.created),
        "lastUseDate": iso_or_none(token.last_use),
        "status": token.status,
        "statusDetails": [],
    }


def _visible(call: Call, token: KsefToken, wider: tuple[str, ...]) -> bool:
    """With the wider permissions every token of the context; otherwise one's own (authored or in use)."""
    principal = call.require_principal()
    if token.context_value != principal.context_nip:
        return False
    if set(wider) & set(principal.permissions):
        return True
    identity = principal.identity
    return (token.author_type, token.author_value) == (identity.type, identity.value) or (
        principal.operation.token_reference == token.reference_number
    )


@endpoint("POST", "/tokens")
async def generate(call: Call) -> Response:
    principal = call.require_principal()
    body = await call.json()
    if principal.operation.context_type not in ("Nip", "InternalId"):
        raise ApiError(26002, f"Bieżący typ kontekstu: {principal.operation.context_type}; dozwolone: Nip, InternalId.")
    missing = sorted(set(body["permissions"]) - set(principal.permissions))
    if missing:
        raise ApiError(26001, f"Brakujące uprawnienia: {', '.join(missing)}.")
    identity = principal.identity
    token = create_token(
        call.sim,
        context_nip=principal.context_nip,
        permissions=body["permissions"],
        description=body["description"],
        author=(identity.type, identity.value),
    )
    return json_response({"referenceNumber": token.reference_number, "token": token.secret}, 202)


@endpoint("GET", "/tokens")
async def list_tokens(call: Call) -> Response:
    statuses = call.query_list("status")
    description = call.request.query_params.get("description")
    author = call.request.query_params.get("authorIdentifier")
    author_type = call.query_enum("authorIdentifierType", ("Nip", "Pesel", "Fingerprint"))
    for name, value in (("description", description), ("authorIdentifier", author)):
        if value is not None and len(value) < 3:
            raise ApiError(21405, f"{name}: wymagane co najmniej 3 znaki.")
    tokens = [
        token
        for token in sorted(call.sim.state.tokens.values(), key=lambda t: t.created, reverse=True)
        if _visible(call, token, READERS)
        and (not statuses or token.status in statuses)
        and (not description or description.lower() in token.description.lower())
        and (not author or author in token.author_value)
        and (not author_type or token.author_type == author_type)
    ]
    page, following = continuation_page(call, tokens, 100)
    return json_response({"continuationToken": following, "tokens": [_view(token) for token in page]})


def _find(call: Call, wider: tuple[str, ...]) -> KsefToken:
    reference = call.path_reference()
    token = call.sim.state.tokens.get(reference)
    if token is None or not _visible(call, token, wider):
        raise ApiError(21405, f"Token o numerze referencyjnym {reference} nie istnieje.")
    return token


@endpoint("GET", "/tokens/{referenceNumber}")
async def get_token(call: Call) -> Response:
    return json_response(_view(_find(call, READERS)))


@endpoint("DELETE", "/tokens/{referenceNumber}")
async def revoke_token(call: Call) -> Response:
    token = _find(call, MANAGERS)
    token.status = "Revoked"
    call.sim.touch()
    return empty_response(204)
