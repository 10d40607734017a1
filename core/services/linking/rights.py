"""The rights doctor (DESIGN.md §3 C.9): what the office may do in a client's context, asked from KSeF, what each
configured operation needs, what is missing, and a ready instruction in Polish for the client."""

from __future__ import annotations

from dataclasses import dataclass, field
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
from core.types import AuthMethod, ProblemClass, utcnow

PERMISSION_NAMES_PL = {
    "InvoiceRead": "Przeglądanie faktur (InvoiceRead)",
    "InvoiceWrite": "Wystawianie faktur (InvoiceWrite)",
    "Introspection": "Przeglądanie historii sesji i UPO (Introspection)",
    "CredentialsRead": "Przeglądanie uprawnień (CredentialsRead)",
    "CredentialsManage": "Zarządzanie uprawnieniami (CredentialsManage)",
    "SubunitManage": "Zarządzanie podmiotami podrzędnymi (SubunitManage)",
    "EnforcementOperations": "Operacje egzekucyjne (EnforcementOperations)",
    "Owner": "Właściciel kontekstu (Owner)",
}


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
        OperationNeed("Odbieranie faktur (sprzedaż i zakupy)", READ, True, owner or READ in held),
        OperationNeed("Wysyłanie faktur", WRITE, facts.send_enabled, owner or WRITE in held),
        OperationNeed("Pobieranie UPO z historii sesji", "Introspection", False, owner or "Introspection" in held),
    ]


def instruction_for_client(*, office: Office, facts: LinkFacts, missing: list[str]) -> str:
    """What the client must click in the KSeF taxpayer application, in plain Polish."""
    if not missing:
        return "Biuro ma wszystkie potrzebne uprawnienia; klient nie musi nic robić."
    rights = "\n".join(f"   - {PERMISSION_NAMES_PL.get(p, p)}" for p in missing)
    if facts.auth_method == AuthMethod.ksef_token:
        return (
            f"Dzień dobry,\n\nbiuro {office.name} łączy się z KSeF w imieniu firmy {facts.client_name} "
            f"(NIP {facts.nip}) tokenem KSeF, który nie ma wszystkich potrzebnych uprawnień. Prosimy:\n"
            "1. Zaloguj się do Aplikacji Podatnika KSeF w kontekście swojej firmy.\n"
            "2. Wybierz „Tokeny” → „Generuj token” i zaznacz uprawnienia:\n"
            f"{rights}\n"
            "3. Przekaż nowy token biuru bezpiecznym kanałem (nie e-mailem otwartym tekstem).\n\nDziękujemy."
        )
    return (
        f"Dzień dobry,\n\nbiuro {office.name} (NIP {office.nip}) potrzebuje uprawnień w KSeF, aby obsługiwać "
        f"faktury firmy {facts.client_name} (NIP {facts.nip}). Prosimy:\n"
        "1. Zaloguj się do Aplikacji Podatnika KSeF w kontekście swojej firmy.\n"
        "2. Wybierz „Uprawnienia” → „Nadaj uprawnienia podmiotowi”.\n"
        f"3. Wpisz identyfikator NIP biura: {office.nip} ({office.name}).\n"
        f"4. Zaznacz:\n{rights}\n"
        "   oraz „Może przekazywać uprawnienia dalej”, jeśli biuro ma pracować na swoich certyfikatach pracowników.\n"
        "5. Zatwierdź. Konsola biura sprawdzi uprawnienia sama.\n\nDziękujemy."
    )


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
        failure, error = raised, str(raised)
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
            failure = KsefFailure(ProblemClass.missing_rights, f"Brakuje uprawnień: {', '.join(missing)}.")
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
