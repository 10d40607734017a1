"""The office, its master account and its KSeF package; the office settings the Ustawienia page edits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from core import audit
from core.db import session_scope
from core.errors import Conflict, InvalidInput, NotFound
from core.ids import NipError, validate_nip
from core.ksef.environments import api_url, lighthouse_url
from core.models import EnvironmentStatus, NotificationSetting, Office, Package
from core.security import Actor, Permission
from core.texts import Text
from core.types import KsefEnvironment, NotificationKind

MIN_SYNC_INTERVAL_MINUTES = 15  # DESIGN.md §3 E: never more often than every 15 minutes per client
MAX_SYNC_INTERVAL_MINUTES = 7 * 24 * 60


def create_office(session: Session, *, name: str, nip: str, account_id: str) -> Office:
    """Create the office with its package and notification switches (all on by default)."""
    problems = []
    try:
        nip = validate_nip(nip)
    except NipError as error:
        problems.extend(error.problems)
    if not name.strip():
        problems.append(Text("office.name_required"))
    if not account_id.strip():
        problems.append(Text("office.account_required"))
    if problems:
        raise InvalidInput(problems)
    # Unique regardless of letter case: company keys are checked that way (linking.keys.check_key).
    taken = select(Office).where(func.lower(Office.account_id) == account_id.strip().lower())
    if session.exec(taken).first() is not None:
        raise Conflict(Text("office.exists", account_id=account_id))
    office = Office(name=name.strip(), nip=nip, account_id=account_id.strip())
    session.add(office)
    session.flush()
    assert office.id is not None
    session.add(Package(office_id=office.id))
    for kind in NotificationKind:
        session.add(NotificationSetting(office_id=office.id, kind=kind, enabled=True))
    session.flush()
    return office


def get_office(office_id: int) -> Office:
    with session_scope() as session:
        office = session.get(Office, office_id)
        if office is None:
            raise NotFound(Text("office.not_found", id=office_id))
        return office


def find_office(session: Session, account_id: str | None = None) -> Office | None:
    query = select(Office).order_by(col(Office.id))
    if account_id:
        query = query.where(Office.account_id == account_id)
    return session.exec(query).first()


# --- settings (the Ustawienia page) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfficeView:
    name: str
    nip: str
    account_id: str  # the master account: set when the office is created, never edited
    default_environment: str
    sync_interval_minutes: int


def _view(office: Office) -> OfficeView:
    return OfficeView(
        office.name, office.nip, office.account_id, office.default_environment, office.sync_interval_minutes
    )


def office_settings(*, actor: Actor) -> OfficeView:
    actor.require(Permission.view)
    return _view(get_office(actor.office_id))


def update_office(*, actor: Actor, name: str, sync_interval_minutes: int, default_environment: str) -> OfficeView:
    """The office's name, the environment new clients get, and how often each client is synced."""
    actor.require(Permission.manage_settings)
    problems = []
    if not name.strip():
        problems.append(Text("office.name_required"))
    elif len(name.strip()) > 200:
        problems.append(Text("office.name_too_long"))
    if not MIN_SYNC_INTERVAL_MINUTES <= sync_interval_minutes <= MAX_SYNC_INTERVAL_MINUTES:
        problems.append(
            Text(
                "office.sync_interval",
                minutes=sync_interval_minutes,
                low=MIN_SYNC_INTERVAL_MINUTES,
                high=MAX_SYNC_INTERVAL_MINUTES,
            )
        )
    if default_environment not in set(KsefEnvironment):
        problems.append(Text("office.unknown_environment", environment=repr(default_environment)))
    if problems:
        raise InvalidInput(problems)
    with session_scope(write=True) as session:
        office = session.get(Office, actor.office_id)
        if office is None:
            raise NotFound(Text("office.not_found", id=actor.office_id))
        before = {"name": office.name, "interval": office.sync_interval_minutes, "env": office.default_environment}
        office.name = name.strip()
        office.sync_interval_minutes = sync_interval_minutes
        office.default_environment = KsefEnvironment(default_environment)
        session.add(office)
        audit.record(
            session, actor, "office.update", f"office:{actor.office_id}", before=before,
            name=office.name, interval=sync_interval_minutes, environment=default_environment,
        )  # fmt: skip
        return _view(office)


@dataclass(frozen=True)
class EnvironmentInfo:
    code: str
    name: str  # `environment.<code>`
    api_url: str
    lighthouse_url: str
    status: str  # the last Latarnia answer, "" when never probed
    checked_at: datetime | None


def environments(*, actor: Actor) -> list[EnvironmentInfo]:
    """The KSeF environments with their URLs (SIM: the configured simulator) and the last availability probe."""
    actor.require(Permission.view)
    with session_scope() as session:
        probes = {row.environment: row for row in session.exec(select(EnvironmentStatus)).all()}
    found = []
    for environment in KsefEnvironment:
        probe = probes.get(environment)
        found.append(
            EnvironmentInfo(
                code=environment,
                name=Text(f"environment.{environment}"),
                api_url=api_url(environment),
                lighthouse_url=lighthouse_url(environment),
                status=probe.status if probe else "",
                checked_at=probe.checked_at if probe else None,
            )
        )
    return found
