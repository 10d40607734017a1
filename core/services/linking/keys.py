"""Company keys `<officeAccountId>;<companyId>;<NIP>`: shown, verified step by step, revoked and reissued.

Verification follows DESIGN.md §3 A.2 in order, and each failure says what is wrong and how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from core import audit
from core.db import session_scope
from core.errors import NotFound
from core.ids import CompanyKeyError, format_company_key, parse_company_key
from core.models import Client, CompanyKey, Office
from core.security import Actor, Permission
from core.services.clients.register import issue_company_key
from core.texts import Text
from core.types import utcnow


@dataclass(frozen=True)
class KeyCheck:
    ok: bool
    failure: str = ""  # malformed | other_office | unknown_company | archived | other_company | context | revoked
    message: str = ""
    fix: str = ""


OK = KeyCheck(ok=True, message=Text("company_key.ok"))


def current_key(session: Session, client: Client, office: Office) -> str | None:
    """The client's valid key, or None when every key was revoked (keys are issued only when a client is added
    and when a person reissues one, never as a side effect of reading)."""
    key = session.exec(
        select(CompanyKey)
        .where(CompanyKey.client_id == client.id, col(CompanyKey.revoked_at).is_(None))
        .order_by(col(CompanyKey.id).desc())
    ).first()
    return None if key is None else format_company_key(office.account_id, key.company_id, client.nip)


def require_key(session: Session, client: Client, office: Office) -> str:
    """`current_key` for an operation that needs one: without a key it stops with what to do."""
    key = current_key(session, client, office)
    if key is None:
        raise NotFound(Text("company_key.missing", client=client.name))
    return key


def check_key(session: Session, *, office: Office, client: Client, raw_key: str, context_nip: str | None) -> KeyCheck:
    """Pure verification against the store; `context_nip` is the context the credential reaches, when known."""
    try:
        key = parse_company_key(raw_key)
    except CompanyKeyError as error:
        return KeyCheck(
            False, "malformed", Text("company_key.malformed", error=error.message), Text("company_key.malformed.fix")
        )
    # Letter case does not tell keys apart: account ids are unique regardless of case (office.create_office) and
    # company ids are issued as upper-case hex, so a key retyped or lower-cased by a mail program still matches.
    if key.account_id.casefold() != office.account_id.casefold():
        return KeyCheck(
            False,
            "other_office",
            Text("company_key.other_office", account=key.account_id, own=office.account_id),
            Text("company_key.other_office.fix"),
        )
    issued = session.exec(
        select(CompanyKey).where(
            CompanyKey.office_id == office.id, func.upper(CompanyKey.company_id) == key.company_id.upper()
        )
    ).first()
    owner = session.get(Client, issued.client_id) if issued else None
    if issued is None or owner is None:
        return KeyCheck(
            False,
            "unknown_company",
            Text("company_key.unknown_company", company_id=key.company_id),
            Text("company_key.unknown_company.fix"),
        )
    if owner.archived_at is not None:
        return KeyCheck(
            False,
            "archived",
            Text("company_key.archived", name=owner.name, nip=owner.nip),
            Text("company_key.archived.fix"),
        )
    if owner.id != client.id or key.nip != client.nip:
        holder = owner if owner.id != client.id else None
        named = f"{holder.name} (NIP {holder.nip})" if holder else f"NIP {key.nip}"
        return KeyCheck(
            False,
            "other_company",
            Text("company_key.other_company", named=named, client=client.name, nip=client.nip),
            Text("company_key.other_company.fix"),
        )
    if context_nip is not None and context_nip != client.nip:
        return KeyCheck(
            False,
            "context",
            Text("company_key.context", context_nip=context_nip, nip=client.nip),
            Text("company_key.context.fix"),
        )
    if issued.revoked_at is not None:
        return KeyCheck(
            False,
            "revoked",
            Text("company_key.revoked", client=client.name, revoked_at=f"{issued.revoked_at:%d.%m.%Y}"),
            Text("company_key.revoked.fix"),
        )
    return OK


def _load(session: Session, actor: Actor, client_id: int) -> tuple[Office, Client]:
    client = session.get(Client, client_id)
    office = session.get(Office, actor.office_id)
    if client is None or office is None or client.office_id != actor.office_id:
        raise NotFound(Text("client.not_found", id=client_id))
    return office, client


def get_company_key(*, actor: Actor, client_id: int) -> str:
    """The key to hand to the client: the same permission as the credentials' metadata, and a read only."""
    actor.require(Permission.view_secrets_metadata)
    with session_scope() as session:
        office, client = _load(session, actor, client_id)
        return require_key(session, client, office)


def verify_company_key(*, actor: Actor, client_id: int, key: str) -> KeyCheck:
    actor.require(Permission.run_operations)
    with session_scope(write=True) as session:
        office, client = _load(session, actor, client_id)
        result = check_key(session, office=office, client=client, raw_key=key, context_nip=None)
        audit.record(session, actor, "company_key.verify", f"client:{client_id}", ok=result.ok, failure=result.failure)
        return result


def reissue_company_key(*, actor: Actor, client_id: int) -> str:
    """Revoke every key of the client and issue a new one (a leaked key stops working at once)."""
    actor.require(Permission.manage_clients)
    with session_scope(write=True) as session:
        office, client = _load(session, actor, client_id)
        now = utcnow()
        for key in session.exec(
            select(CompanyKey).where(CompanyKey.client_id == client_id, col(CompanyKey.revoked_at).is_(None))
        ).all():
            key.revoked_at = now
            session.add(key)
        assert office.id is not None and client.id is not None
        fresh = issue_company_key(session, office_id=office.id, client_id=client.id)
        audit.record(session, actor, "company_key.reissue", f"client:{client_id}")
        return format_company_key(office.account_id, fresh.company_id, client.nip)
