"""The support inbox: classified problems, their plain-Polish cause and fix, grouping, closing, support bundles."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, func, select

from core import audit
from core.db import session_scope
from core.errors import NotFound
from core.ksef.errors import KsefFailure
from core.models import Client, Problem
from core.security import Actor, Permission
from core.types import ProblemClass, ProblemStatus, utcnow


@dataclass(frozen=True)
class Explanation:
    title: str
    cause: str
    fix: str


EXPLANATIONS: dict[str, Explanation] = {
    ProblemClass.missing_rights: Explanation(
        "Brak uprawnień",
        "Klient nie nadał biuru uprawnień w KSeF albo je odebrał.",
        "Wyślij klientowi instrukcję z Doktora uprawnień; gdy nada uprawnienia, kliknij „Sprawdź ponownie”.",
    ),
    ProblemClass.wrong_company_key: Explanation(
        "Niepoprawny klucz firmy",
        "Klucz firmy lub token należy do innej firmy, innego biura, został unieważniony albo ma zły format.",
        "Użyj klucza tej firmy (strona Klient → Klucz firmy) albo właściwego tokenu i sprawdź ponownie.",
    ),
    ProblemClass.network: Explanation(
        "Problem z połączeniem",
        "Nie udało się połączyć z KSeF (DNS, połączenie, TLS lub przekroczony czas).",
        "Sprawdź połączenie z internetem i zaporę; uruchom autotest połączenia; ponów próbę.",
    ),
    ProblemClass.ksef_unavailable: Explanation(
        "KSeF niedostępny",
        "KSeF zgłasza awarię lub przerwę techniczną.",
        "Poczekaj na koniec przerwy (Latarnia KSeF); konsola ponowi operację sama.",
    ),
    ProblemClass.rate_limited: Explanation(
        "Przekroczony limit zapytań",
        "KSeF ograniczył liczbę zapytań dla kontekstu tego klienta.",
        "Nic nie trzeba robić: konsola poczeka tyle, ile każe KSeF, i ponowi.",
    ),
    ProblemClass.invalid_credentials: Explanation(
        "Nieważne poświadczenie",
        "Token KSeF unieważniony lub wygasły albo certyfikat nieważny, wygasły lub unieważniony.",
        "Wgraj nowy certyfikat lub token (Certyfikaty i tokeny) i połącz ponownie.",
    ),
    ProblemClass.auth_required: Explanation(
        "Wymagane ponowne uwierzytelnienie",
        "Sesja uwierzytelniona podpisem kwalifikowanym lub Profilem Zaufanym wygasła.",
        "Podpisz ponownie żądanie uwierzytelnienia (strona Klient → Podpis).",
    ),
    ProblemClass.invalid_invoice: Explanation(
        "Faktura odrzucona",
        "KSeF odrzucił fakturę (błąd schematu lub weryfikacji semantycznej).",
        "Popraw fakturę zgodnie ze szczegółami błędu i wyślij ponownie.",
    ),
    ProblemClass.duplicate: Explanation(
        "Duplikat faktury",
        "Faktura o tym numerze już jest w KSeF.",
        "Nic nie trzeba robić: konsola zapisała numer KSeF oryginału.",
    ),
    ProblemClass.quota_exhausted: Explanation(
        "Wyczerpany pakiet",
        "Wykorzystano miesięczny limit operacji pakietu KSeF biura.",
        "Zwiększ pakiet w Ustawieniach albo poczekaj na nowy okres rozliczeniowy.",
    ),
    ProblemClass.internal: Explanation(
        "Błąd wewnętrzny",
        "Nieoczekiwany błąd konsoli lub odpowiedź KSeF, której konsola nie rozumie.",
        "Pobierz paczkę dla wsparcia i przekaż ją zespołowi; ponów próbę.",
    ),
}


@dataclass(frozen=True)
class ProblemView:
    id: int
    client_id: int | None
    client_name: str
    client_nip: str
    problem_class: str
    operation: str
    message: str
    ksef_code: int | None
    http_status: int | None
    occurrences: int
    first_seen_at: Any
    last_seen_at: Any


def record_failure(
    session: Session,
    *,
    office_id: int,
    client_id: int | None,
    operation: str,
    failure: KsefFailure,
    transcript: list[dict[str, Any]] | None = None,
) -> Problem:
    """Open a problem, or count one more occurrence of the same open problem."""
    now = utcnow()
    problem = session.exec(
        select(Problem).where(
            Problem.client_id == client_id,
            Problem.operation == operation,
            Problem.problem_class == failure.problem_class,
            Problem.status == ProblemStatus.open,
        )
    ).first()
    if problem is None:
        problem = Problem(
            office_id=office_id, client_id=client_id, operation=operation, problem_class=failure.problem_class
        )
        problem.occurrences = 0
    problem.occurrences += 1
    problem.last_seen_at = now
    problem.message = failure.message[:2000]
    problem.http_status = failure.http_status
    problem.ksef_code = failure.ksef_code
    problem.ksef_description = failure.description[:2000]
    problem.service_code = failure.service_code[:200]
    problem.reference_number = failure.reference_number[:40]
    problem.details = failure.details
    if transcript is not None:
        problem.transcript = transcript
    session.add(problem)
    # A different failure of the same operation replaces the old diagnosis.
    for stale in session.exec(
        select(Problem).where(
            Problem.client_id == client_id,
            Problem.operation == operation,
            Problem.problem_class != failure.problem_class,
            Problem.status == ProblemStatus.open,
        )
    ).all():
        _close(stale, "zastąpiony nowszą diagnozą", now)
        session.add(stale)
    return problem


def resolve(session: Session, *, client_id: int, operations: list[str], reason: str = "kolejna próba udana") -> int:
    """Close the open problems of these operations: the next attempt succeeded."""
    now = utcnow()
    problems = session.exec(
        select(Problem).where(
            Problem.client_id == client_id,
            col(Problem.operation).in_(operations),
            Problem.status == ProblemStatus.open,
        )
    ).all()
    for problem in problems:
        _close(problem, reason, now)
        session.add(problem)
    return len(problems)


def _close(problem: Problem, reason: str, now: Any) -> None:
    problem.status = ProblemStatus.closed
    problem.closed_at = now
    problem.closed_reason = reason


def open_problem_classes(session: Session, client_id: int) -> set[str]:
    return set(
        session.exec(
            select(Problem.problem_class).where(Problem.client_id == client_id, Problem.status == ProblemStatus.open)
        ).all()
    )


def list_open(*, actor: Actor, problem_class: str | None = None, client_id: int | None = None) -> list[ProblemView]:
    actor.require(Permission.view)
    query = (
        select(Problem, Client)
        .join(Client, col(Client.id) == col(Problem.client_id), isouter=True)
        .where(Problem.office_id == actor.office_id, Problem.status == ProblemStatus.open)
    )
    if problem_class:
        query = query.where(Problem.problem_class == problem_class)
    if client_id is not None:
        query = query.where(Problem.client_id == client_id)
    with session_scope() as session:
        rows = session.exec(query.order_by(col(Problem.last_seen_at).desc())).all()
        return [_view(problem, client) for problem, client in rows]


def count_open_by_class(*, actor: Actor) -> dict[str, int]:
    actor.require(Permission.view)
    with session_scope() as session:
        rows = session.exec(
            select(Problem.problem_class, func.count())
            .where(Problem.office_id == actor.office_id, Problem.status == ProblemStatus.open)
            .group_by(Problem.problem_class)
        ).all()
    return dict(rows)


def get_problem(*, actor: Actor, problem_id: int) -> ProblemView:
    actor.require(Permission.view)
    with session_scope() as session:
        problem = session.get(Problem, problem_id)
        if problem is None or problem.office_id != actor.office_id:
            raise NotFound(f"Nie ma problemu o numerze {problem_id}.")
        client = session.get(Client, problem.client_id) if problem.client_id else None
        return _view(problem, client)


def _view(problem: Problem, client: Client | None) -> ProblemView:
    assert problem.id is not None
    return ProblemView(
        id=problem.id,
        client_id=problem.client_id,
        client_name=client.name if client else "",
        client_nip=client.nip if client else "",
        problem_class=problem.problem_class,
        operation=problem.operation,
        message=problem.message,
        ksef_code=problem.ksef_code,
        http_status=problem.http_status,
        occurrences=problem.occurrences,
        first_seen_at=problem.first_seen_at,
        last_seen_at=problem.last_seen_at,
    )


def support_bundle(*, actor: Actor, problem_id: int) -> bytes:
    """The problem with KSeF's raw answer and the masked transcript, as JSON for a ticket to the Ministry."""
    actor.require(Permission.run_operations)
    with session_scope(write=True) as session:
        problem = session.get(Problem, problem_id)
        if problem is None or problem.office_id != actor.office_id:
            raise NotFound(f"Nie ma problemu o numerze {problem_id}.")
        client = session.get(Client, problem.client_id) if problem.client_id else None
        explanation = EXPLANATIONS[problem.problem_class]
        bundle = {
            "problem": {
                "id": problem.id,
                "class": problem.problem_class,
                "title": explanation.title,
                "cause": explanation.cause,
                "fix": explanation.fix,
                "operation": problem.operation,
                "message": problem.message,
                "first_seen_at": problem.first_seen_at.isoformat(),
                "last_seen_at": problem.last_seen_at.isoformat(),
                "occurrences": problem.occurrences,
            },
            "client": {"nip": client.nip, "name": client.name, "environment": client.environment} if client else None,
            "ksef": {
                "http_status": problem.http_status,
                "code": problem.ksef_code,
                "description": problem.ksef_description,
                "service_code": problem.service_code,
                "reference_number": problem.reference_number,
                "details": problem.details,
            },
            "transcript": problem.transcript,
        }
        audit.record(session, actor, "problem.bundle", f"problem:{problem.id}")
    return json.dumps(bundle, ensure_ascii=False, indent=2).encode()
