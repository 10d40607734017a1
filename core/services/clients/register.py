"""The client register: add, edit, archive, list. Every client gets a company key when it is added."""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict, dataclass, replace

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from core import audit
from core.db import session_scope
from core.errors import Conflict, InvalidInput, NotFound
from core.ids import NipError, validate_nip
from core.models import Client, ClientCreate, ClientPublic, ClientUpdate, CompanyKey, Office
from core.security import Actor, Permission
from core.texts import Text
from core.types import KsefEnvironment, LinkStatus, utcnow

_EMAIL = re.compile(r"[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+")
ENVIRONMENT_ALIASES = {
    "prod": KsefEnvironment.PROD,
    "produkcja": KsefEnvironment.PROD,
    "produkcyjne": KsefEnvironment.PROD,
    "prd": KsefEnvironment.PROD,
    "demo": KsefEnvironment.DEMO,
    "przedprodukcyjne": KsefEnvironment.DEMO,
    "test": KsefEnvironment.TEST,
    "testowe": KsefEnvironment.TEST,
    "sim": KsefEnvironment.SIM,
    "sym": KsefEnvironment.SIM,
    "symulator": KsefEnvironment.SIM,
}


@dataclass(frozen=True)
class ClientPage:
    items: list[ClientPublic]
    total: int


def parse_environment(raw: str | None, default: KsefEnvironment) -> KsefEnvironment:
    text = (raw or "").strip().lower()
    if not text:
        return default
    if text in ENVIRONMENT_ALIASES:
        return ENVIRONMENT_ALIASES[text]
    raise InvalidInput(Text("clients.unknown_environment", environment=repr(raw)))


def check_client_fields(data: ClientCreate, *, default_environment: KsefEnvironment) -> tuple[ClientCreate, list[str]]:
    """Normalise a client's fields and list every problem (shared by forms and the import)."""
    problems: list[str] = []
    nip = data.nip
    try:
        nip = validate_nip(data.nip)
    except NipError as error:
        problems.extend(error.problems)
    name = " ".join(data.name.split())
    if not name:
        problems.append(Text("clients.name_required"))
    elif len(name) > 300:
        problems.append(Text("clients.name_too_long"))
    email = data.email.strip()
    if email and not _EMAIL.fullmatch(email):
        problems.append(Text("clients.bad_email", email=repr(email)))
    environment = default_environment
    try:
        environment = parse_environment(data.environment, default_environment)
    except InvalidInput as error:
        problems.extend(error.problems)
    clean = ClientCreate(
        nip=nip, name=name, email=email, erp_id=data.erp_id.strip()[:100], environment=environment, notes=data.notes
    )
    return clean, problems


def issue_company_key(session: Session, *, office_id: int, client_id: int) -> CompanyKey:
    """A fresh companyId for the client, unique within the office."""
    while True:
        company_id = secrets.token_hex(4).upper()
        taken = session.exec(
            select(CompanyKey).where(CompanyKey.office_id == office_id, CompanyKey.company_id == company_id)
        ).first()
        if taken is None:
            break
    key = CompanyKey(office_id=office_id, client_id=client_id, company_id=company_id)
    session.add(key)
    return key


def insert_client(session: Session, *, office: Office, data: ClientCreate) -> Client:
    assert office.id is not None
    environment = KsefEnvironment(data.environment or office.default_environment)
    client = Client(office_id=office.id, **{**asdict(data), "environment": environment})
    session.add(client)
    session.flush()
    assert client.id is not None
    issue_company_key(session, office_id=office.id, client_id=client.id)
    return client


def add_client(*, actor: Actor, data: ClientCreate) -> ClientPublic:
    actor.require(Permission.manage_clients)
    with session_scope(write=True) as session:
        office = _office(session, actor)
        clean, problems = check_client_fields(data, default_environment=office.default_environment)
        if problems:
            raise InvalidInput(problems)
        existing = _by_nip(session, actor.office_id, clean.nip)
        if existing is not None:
            raise Conflict(Text("clients.exists", nip=clean.nip, name=existing.name))
        client = insert_client(session, office=office, data=clean)
        audit.record(session, actor, "client.add", f"client:{client.id}", nip=client.nip)
        return ClientPublic.of(client)


def update_client(*, actor: Actor, client_id: int, data: ClientUpdate) -> ClientPublic:
    actor.require(Permission.manage_clients)
    with session_scope(write=True) as session:
        client = _own_client(session, actor, client_id)
        office = _office(session, actor)
        current = ClientCreate(client.nip, client.name, client.email, client.erp_id, client.environment, client.notes)
        merged = replace(current, **{k: v for k, v in asdict(data).items() if v is not None})
        clean, problems = check_client_fields(merged, default_environment=office.default_environment)
        if problems:
            raise InvalidInput(problems)
        changed = {k: v for k, v in asdict(clean).items() if k != "nip" and getattr(client, k) != v}
        for field, value in changed.items():
            setattr(client, field, value)
        client.updated_at = utcnow()
        session.add(client)
        audit.record(session, actor, "client.edit", f"client:{client.id}", fields=sorted(changed))
        return ClientPublic.of(client)


def archive_client(*, actor: Actor, client_id: int) -> ClientPublic:
    actor.require(Permission.archive_clients)
    with session_scope(write=True) as session:
        client = _own_client(session, actor, client_id)
        if client.archived_at is None:
            client.archived_at = utcnow()
            client.link_status = LinkStatus.unlinked
            client.updated_at = client.archived_at
            session.add(client)
            audit.record(session, actor, "client.archive", f"client:{client.id}", nip=client.nip)
        return ClientPublic.of(client)


def get_client(*, actor: Actor, client_id: int) -> ClientPublic:
    actor.require(Permission.view)
    with session_scope() as session:
        return ClientPublic.of(_own_client(session, actor, client_id))


def find_client_by_nip(*, actor: Actor, nip: str) -> ClientPublic:
    actor.require(Permission.view)
    with session_scope() as session:
        client = _by_nip(session, actor.office_id, nip.strip())
        if client is None:
            raise NotFound(Text("clients.not_found_nip", nip=nip))
        return ClientPublic.of(client)


def list_clients(
    *,
    actor: Actor,
    search: str = "",
    link_statuses: list[str] | None = None,
    environment: str | None = None,
    include_archived: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> ClientPage:
    actor.require(Permission.view)
    query = select(Client).where(Client.office_id == actor.office_id)
    if not include_archived:
        query = query.where(col(Client.archived_at).is_(None))
    if search.strip():
        pattern = f"%{search.strip().lower()}%"
        query = query.where(sa.or_(func.lower(Client.name).like(pattern), col(Client.nip).like(pattern)))
    if link_statuses:
        query = query.where(col(Client.link_status).in_(link_statuses))
    if environment:
        query = query.where(Client.environment == environment)
    with session_scope() as session:
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        page = query.order_by(func.lower(Client.name), col(Client.id)).offset(offset)
        if limit is not None:
            page = page.limit(limit)
        items = [ClientPublic.of(c) for c in session.exec(page).all()]
    return ClientPage(items=items, total=total)


def _office(session: Session, actor: Actor) -> Office:
    office = session.get(Office, actor.office_id)
    if office is None:
        raise NotFound(Text("office.missing"))
    return office


def _by_nip(session: Session, office_id: int, nip: str) -> Client | None:
    return session.exec(select(Client).where(Client.office_id == office_id, Client.nip == nip)).first()


def _own_client(session: Session, actor: Actor, client_id: int) -> Client:
    client = session.get(Client, client_id)
    if client is None or client.office_id != actor.office_id:
        raise NotFound(Text("client.not_found", id=client_id))
    return client
