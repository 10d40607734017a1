"""Office isolation (issue 10 #2, DESIGN.md §7): every public service function that takes an id, handed another
office's id, answers NotFound (or PermissionDenied for a role without the permission) as every role — nothing runs,
nothing is revealed. The walk introspects core.services, so a new service with an id is walked too: it needs a
sample for each of its other required arguments below, or the test says which one is missing."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import core.services
from core import db
from core.errors import NotFound, PermissionDenied
from core.models import ClientCreate, ClientUpdate, Link, LinkRequest
from core.security import Actor
from core.types import AuthMethod, CredentialStatus, KsefEnvironment
from tests.conftest import OfficeActors, make_office
from tests.factories import valid_nips
from tests.seeding import add_certificate, add_invoice, add_problem, set_link_status

# Arguments that name a row of an office: walked with the other office's values.
ID_PARAMS = {
    "client_id", "client_ids", "invoice_id", "invoice_ids", "problem_id", "credential_id", "job_id", "ksef_number",
    "nip", "username", "invitation_id", "program_id",
}  # fmt: skip
# Internal plumbing, not called with a person's ids: they take rows or facts already resolved within an office.
NOT_WALKED = {
    "core.services.scope",  # the helpers themselves (tested directly)
    "core.services.clientside.binding",  # the client side's own resolving helpers (built on scope)
    # The steps of send_batch (walked itself), which resolves the client and its invoices within the office first.
    "core.services.sending_outcomes",
    "core.services.sending_batch",
    "core.services.linking.credentials.wrong_client_message",  # takes a Client already resolved by the caller
}
# Parameters named like an id that are not one in these functions (the SMTP login is not a console user).
NOT_IDS = {"core.services.notifications.settings.update_smtp": {"username"}}


@dataclass(frozen=True)
class Foreign:
    client_id: int
    invoice_id: int
    problem_id: int
    credential_id: int
    job_id: int
    ksef_number: str
    nip: str
    username: str
    invitation_id: int
    program_id: int


def _samples(foreign: Foreign) -> dict[str, Any]:
    """A harmless value for every other required argument (none of them is ever reached: the id is refused first)."""
    from core.jobs.kinds import ReportExportPayload

    return {
        "data": ClientUpdate(name="Cudza"),
        "request": LinkRequest(auth_method=AuthMethod.ksef_token),
        "token": "x" * 40,
        "files": [("faktura.xml", b"<Faktura/>")],
        "reason": "test",
        "key": "klucz",
        "method": AuthMethod.qualified_signature,
        "signed_xml": b"<x/>",
        "xml": "<x/>",
        "status": CredentialStatus.authorized,
        "payload": ReportExportPayload(kind="usage", format="csv", file_name="x.csv"),
        "role": "support",
        "fmt": "csv",
        "email": "obcy@firma.pl",
        "name": "Program",
        "password": "Bardzo-Dlugie-Haslo-1",
    }


def _walked() -> Iterator[tuple[str, Callable[..., Any]]]:
    for info in pkgutil.walk_packages(core.services.__path__, "core.services."):
        if info.name in NOT_WALKED:
            continue
        module = importlib.import_module(info.name)
        for name, function in vars(module).items():
            qualified = f"{info.name}.{name}"
            if name.startswith("_") or not inspect.isfunction(function) or function.__module__ != info.name:
                continue
            parameters = set(inspect.signature(function).parameters) - NOT_IDS.get(qualified, set())
            if "actor" in parameters and ID_PARAMS & parameters and qualified not in NOT_WALKED:
                yield qualified, function


def _foreign_office() -> Foreign:
    other = make_office(name="Biuro Obce", nip="7740001454", account_id="BR-OBCE", suffix="-obcy")
    from core.services.clients.register import add_client
    from core.services.sync.request import request_sync

    nip = valid_nips(1, seed=97)[0]
    client_id = add_client(actor=other.manager, data=ClientCreate(nip=nip, name="Klient obcego biura")).id
    add_certificate(other, client_id, valid_to=db_now_plus_year(), label="obcy")
    with db.session_scope() as session:
        from sqlmodel import select

        from core.models import Credential, Problem

        credential_id = session.exec(select(Credential.id).where(Credential.client_id == client_id)).one()
    with db.session_scope(write=True) as session:
        session.add(
            Link(
                client_id=client_id, credential_id=credential_id, environment=KsefEnvironment.SIM,
                auth_method=AuthMethod.ksef_certificate,
            )
        )  # fmt: skip
    ksef_number = "7740001454-20261102-0100003F0A12-D3"
    invoice_id = add_invoice(client_id, number="FV/OBCA/1", ksef_number=ksef_number, upo=b"<UPO/>")
    add_problem(other, client_id, "network")
    with db.session_scope() as session:
        problem_id = session.exec(select(Problem.id).where(Problem.client_id == client_id)).one()
    set_link_status(client_id, "linked")
    job_id, _ = request_sync(actor=other.manager, client_id=client_id)
    assert credential_id is not None and problem_id is not None
    from core.services.clientside import invitations, programs

    invitation = invitations.invite(actor=other.manager, client_id=client_id, email="osoba@obca.pl").invitation
    program = programs.add_program(actor=other.manager, client_id=client_id, name="Obcy", password="Obce-Haslo-12345")
    return Foreign(
        client_id, invoice_id, problem_id, credential_id, job_id, ksef_number, nip, other.support.username,
        invitation.id, program.id,
    )  # fmt: skip


def db_now_plus_year() -> Any:
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC) + timedelta(days=365)


def _call(function: Callable[..., Any], actor: Actor, foreign: Foreign) -> Any:
    samples = _samples(foreign)
    arguments: dict[str, Any] = {"actor": actor}
    session_needed = False
    for name, parameter in inspect.signature(function).parameters.items():
        if name == "actor":
            continue
        if name == "session":
            session_needed = True
        elif name in ID_PARAMS:
            value = getattr(foreign, name.removesuffix("s"))
            arguments[name] = [value] if name.endswith("_ids") else value
        elif parameter.kind is inspect.Parameter.VAR_KEYWORD:
            continue
        elif parameter.default is inspect.Parameter.empty:
            assert name in samples, f"{function.__module__}.{function.__name__}: add a sample for {name!r}"
            arguments[name] = samples[name]
    if session_needed:
        with db.session_scope(write=True) as session:
            return function(session, **arguments)
    return function(**arguments)


def walk(mine: OfficeActors, foreign: Foreign) -> tuple[int, list[str]]:
    """Every walked function as every role of `mine` with `foreign`'s ids: (calls tried, what was allowed)."""
    tried, allowed = 0, []
    for qualified, function in _walked():
        for actor in (mine.manager, mine.support, mine.analyst):
            tried += 1
            try:
                _call(function, actor, foreign)
            except (NotFound, PermissionDenied):
                continue
            except Exception as error:
                allowed.append(f"{qualified} as {actor.role}: {type(error).__name__}: {error}")
            else:
                allowed.append(f"{qualified} as {actor.role}: ran")
    return tried, allowed


def test_every_service_refuses_another_offices_ids(office):
    foreign = _foreign_office()
    tried, allowed = walk(office, foreign)
    assert tried > 100
    assert allowed == []


def test_a_foreign_credential_in_a_link_request_is_not_found(office):
    from core.services.clients.register import add_client
    from core.services.linking.links import connect_client, start_bulk_connect

    foreign = _foreign_office()
    mine = add_client(actor=office.manager, data=ClientCreate(nip=valid_nips(1, seed=5)[0], name="Moja")).id
    request = LinkRequest(auth_method=AuthMethod.ksef_certificate, credential_id=foreign.credential_id)
    with pytest.raises(NotFound):
        connect_client(actor=office.support, client_id=mine, request=request)
    with pytest.raises(NotFound):
        start_bulk_connect(actor=office.support, client_ids=[mine], request=request)


def test_report_filters_with_another_offices_clients_are_not_found(office):
    from datetime import date

    from core.jobs.kinds import ReportExportPayload
    from core.services.reports.exports import export_report, export_task
    from core.services.reports.rows import UsageFilters
    from core.services.reports.views import report_view

    foreign = _foreign_office()
    filters = UsageFilters(date(2026, 1, 1), date(2026, 1, 31), client_ids=[foreign.client_id])
    with pytest.raises(NotFound):
        report_view(actor=office.analyst, kind="usage", filters=filters)
    with pytest.raises(NotFound):
        export_report(actor=office.analyst, kind="usage", fmt="csv", filters=filters)
    payload = ReportExportPayload("usage", "csv", "u.csv", filters.first, filters.last, (foreign.client_id,))
    with db.session_scope(write=True) as session:
        from core.jobs.kinds import PING, NoPayload
        from core.jobs.queue import start_job

        job_id = start_job(session, office.manager, PING, NoPayload()).id
    with pytest.raises(NotFound):
        export_task(actor=office.manager, job_id=job_id, payload=payload)
