"""The rights doctor (DESIGN.md §3 C.9): what the office may do in a client's context, asked from KSeF, what each
configured operation needs, what is missing, and a ready instruction for the client (a catalogue text)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from core import audit
from core.db import session_scope
from core.ksef.errors import KsefFailure
from core.ksef.transcript import Transcript
from core.models import Link, Office
from core.security import Actor, Permission
from core.services import problems
from core.services.linking.connection import LinkFacts, facts_for, open_ksef
from core.services.linking.status import READ, WRITE, refresh_link_status
from core.texts import Joined, Text, known
from core.types import AuthMethod, ProblemClass, utcnow


def permission_name(permission: str) -> str:
    """A KSeF permission's name (`ksef_permission.<code>`); a permission the catalogue does not know as it is."""
    key = f"ksef_permission.{permission}"
    return Text(key) if known(key) else permission


@dataclass(frozen=True)
class OperationNeed:
    operation: str
    needs: str
    configured: bool
    satisfied: bool


@dataclass(frozen=True)
class RightsReport:
    client_id: int
    held: list[str]
    needs: list[OperationNeed]
    missing: list[str]
    instruction: str
    checked_at: datetime
    error: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def sufficient(self) -> bool:
        return not self.missing and not self.error


def _needs(facts: LinkFacts, held: set[str]) -> list[OperationNeed]:
    owner = "Owner" in held
    return [
        OperationNeed(Text("rights.operation.receive"), READ, True, owner or READ in held),
        OperationNeed(Text("rights.operation.send"), WRITE, facts.send_enabled, owner or WRITE in held),
        OperationNeed(Text("rights.operation.upo"), "Introspection", False, owner or "Introspection" in held),
    ]


def instruction_for_client(*, office: Office, facts: LinkFacts, missing: list[str]) -> str:
    """What the client must click in the KSeF taxpayer application, in plain words."""
    if not missing:
        return Text("rights.instruction.nothing")
    rights = Joined([Text("rights.instruction.item", name=permission_name(p)) for p in missing], "\n")
    values = {"office": office.name, "office_nip": office.nip, "client": facts.client_name, "client_nip": facts.nip}
    if facts.auth_method == AuthMethod.ksef_token:
        return Text("rights.instruction.token", rights=rights, **values)
    return Text("rights.instruction.grant", rights=rights, **values)


def check_rights(*, actor: Actor, client_id: int) -> RightsReport:
    actor.require(Permission.run_operations)
    facts = facts_for(actor.office_id, client_id)
    transcript = Transcript()
    held: list[str] = []
    error = ""
    failure: KsefFailure | None = None
    try:
        with open_ksef(facts, actor, transcript=transcript) as call:
            held = call.run(call.permissions)
    except KsefFailure as raised:
        failure, error = raised, raised.message
    needs = _needs(facts, set(held))
    missing = [n.needs for n in needs if n.configured and not n.satisfied]
    if failure is not None and failure.problem_class == ProblemClass.missing_rights:
        missing = [READ] + ([WRITE] if facts.send_enabled else [])
    with session_scope(write=True) as session:
        office = session.get(Office, facts.office_id)
        link = session.get(Link, facts.link_id)
        assert office is not None and link is not None
        if failure is None or failure.problem_class == ProblemClass.missing_rights:
            link.permissions, link.permissions_checked_at = held, utcnow()
            session.add(link)
        if failure is None and not missing:
            problems.resolve(session, client_id=client_id, operations=["link"])
        elif failure is None:
            failure = KsefFailure(ProblemClass.missing_rights, Text("rights.missing", missing=", ".join(missing)))
        if failure is not None:
            problems.record_failure(
                session,
                office_id=facts.office_id,
                client_id=client_id,
                operation="link",
                failure=failure,
                transcript=transcript.tail(),
            )
        refresh_link_status(session, client_id)
        audit.record(session, actor, "rights.check", f"client:{client_id}", missing=missing)
        instruction = instruction_for_client(office=office, facts=facts, missing=missing)
    return RightsReport(client_id, sorted(held), needs, missing, instruction, utcnow(), error)


@dataclass(frozen=True)
class OfficeRights:
    """Whether the office certificate can already serve a client: what KSeF says the office holds in the client's
    context when it authenticates there with that certificate (nothing about the client's link is changed)."""

    client_id: int
    held: list[str]
    missing: list[str]
    error: str = ""
    problem_class: str = ""

    @property
    def sufficient(self) -> bool:
        return not self.missing and not self.error


def office_certificate_rights(*, actor: Actor, client_id: int, credential_id: int) -> OfficeRights:
    """Ask KSeF, not memory: authenticate in the client's context with the office certificate and read the grants."""
    actor.require(Permission.run_operations)
    facts = facts_for(actor.office_id, client_id)
    probe = replace(facts, auth_method=AuthMethod.ksef_certificate, credential_id=credential_id)
    needed = [READ] + ([WRITE] if facts.send_enabled else [])
    try:
        with open_ksef(probe, actor) as call:
            held = call.run(call.permissions)
    except KsefFailure as failure:
        if failure.problem_class == ProblemClass.missing_rights:
            return OfficeRights(client_id, [], needed)
        return OfficeRights(client_id, [], needed, failure.message, failure.problem_class)
    if "Owner" in held:
        return OfficeRights(client_id, sorted(held), [])
    return OfficeRights(client_id, sorted(held), [p for p in needed if p not in held])
