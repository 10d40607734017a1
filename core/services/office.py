"""The office, its master account and its KSeF package."""

from __future__ import annotations

from sqlmodel import Session, col, select

from core.db import session_scope
from core.errors import Conflict, InvalidInput, NotFound
from core.ids import NipError, validate_nip
from core.models import NotificationSetting, Office, Package
from core.types import NotificationKind


def create_office(session: Session, *, name: str, nip: str, account_id: str) -> Office:
    """Create the office with its package and notification switches (all on by default)."""
    problems = []
    try:
        nip = validate_nip(nip)
    except NipError as error:
        problems.append(str(error))
    if not name.strip():
        problems.append("Nazwa biura jest wymagana.")
    if not account_id.strip():
        problems.append("Identyfikator konta firmy głównej jest wymagany.")
    if problems:
        raise InvalidInput(problems)
    if session.exec(select(Office).where(Office.account_id == account_id)).first() is not None:
        raise Conflict(f"Biuro z kontem {account_id} już istnieje.")
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
            raise NotFound(f"Nie ma biura o numerze {office_id}.")
        return office


def find_office(session: Session, account_id: str | None = None) -> Office | None:
    query = select(Office).order_by(col(Office.id))
    if account_id:
        query = query.where(Office.account_id == account_id)
    return session.exec(query).first()
