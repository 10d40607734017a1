"""The support inbox: classified problems, their plain-words cause and fix, grouping, closing, support bundles."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, func, select

from core import audit
from core.db import session_scope
from core.ksef.errors import KsefFailure
from core.models import Client, Problem
from core.security import Actor, Permission
from core.services.scope import problem_in_office, require_client
from core.texts import Text, known
from core.types import ProblemClass, ProblemStatus, utcnow


@dataclass(frozen=True)
class Explanation:
    """What a problem class means, as catalogue texts (`problem.<class>.title|cause|fix`)."""

    title: str
    cause: str
    fix: str


def explain(problem_class: str) -> Explanation | None:
    if problem_class not in set(ProblemClass):
        return None
    return Explanation(*(Text(f"problem.{problem_class}.{part}") for part in ("title", "cause", "fix")))


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
    problem.message_text = failure.message if isinstance(failure.message, Text) else None
    problem.http_status = failure.http_status
    problem.ksef_code = failure.ksef_code
    problem.ksef_description = failure.description[:2000]
    problem.service_code = failure.service_code[:200]
    problem.reference_number = failure.reference_number[:40]
    problem.details = failure.details
    if transcript is not None:
        problem.transcript = transcript
    # A failure of another class never closes this operation's other problems: each closes only when the operation
    # succeeds, so its count and first sighting survive (DESIGN.md §9.2).
    session.add(problem)
    return problem


def resolve(
    session: Session,
    *,
    client_id: int,
    operations: list[str],
    reason: str = "next_attempt_ok",
    classes: set[ProblemClass] | None = None,
) -> int:
    """Close the open problems of these operations: the next attempt succeeded (`reason`: see `closed_reason`).
    `classes` limits it to the problems that success proves fixed."""
    now = utcnow()
    query = select(Problem).where(
        Problem.client_id == client_id,
        col(Problem.operation).in_(operations),
        Problem.status == ProblemStatus.open,
    )
    if classes is not None:
        query = query.where(col(Problem.problem_class).in_(classes))
    problems = session.exec(query).all()
    for problem in problems:
        _close(problem, reason, now)
        session.add(problem)
    return len(problems)


def closed_reason(reason: str) -> str:
    """Why a problem was closed: a code (`problem.closed.<code>`) stored in the row; older rows hold a sentence."""
    key = f"problem.closed.{reason}"
    return Text(key) if known(key) else reason


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
        require_client(actor, client_id)
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
        problem = problem_in_office(session, actor, problem_id)
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
        message=problem.message_text or problem.message,
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
        problem = problem_in_office(session, actor, problem_id)
        client = session.get(Client, problem.client_id) if problem.client_id else None
        explanation = explain(problem.problem_class)
        assert explanation is not None
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
