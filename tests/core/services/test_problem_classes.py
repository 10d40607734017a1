"""A failure of one class never resolves a problem of another class (issue 11 §1, DESIGN.md §9.2): a network failure
during a later rights check leaves the open "brak uprawnień" problem open, with its count and first sighting."""

from __future__ import annotations

import sqlalchemy as sa

from core import db
from core.ksef.errors import KsefFailure
from core.models import Problem
from core.services import problems
from core.types import ProblemClass, ProblemStatus
from tests import seeding


def _fail(office, client_id: int, problem_class: ProblemClass) -> None:
    with db.session_scope(write=True) as session:
        problems.record_failure(
            session, office_id=office.office_id, client_id=client_id, operation="link",
            failure=KsefFailure(problem_class, str(problem_class)),
        )  # fmt: skip


def test_a_failure_of_another_class_keeps_the_open_problem_with_its_count_and_first_sighting(office):
    client_id = seeding.add_clients(office, 1, seed=77)[0]
    _fail(office, client_id, ProblemClass.missing_rights)
    _fail(office, client_id, ProblemClass.missing_rights)
    with db.session_scope() as session:
        rights = session.execute(sa.select(Problem)).scalar_one()
    _fail(office, client_id, ProblemClass.network)
    _fail(office, client_id, ProblemClass.missing_rights)
    with db.session_scope() as session:
        rows = {p.problem_class: p for p in session.execute(sa.select(Problem)).scalars()}
    assert set(rows) == {ProblemClass.missing_rights, ProblemClass.network}
    kept = rows[ProblemClass.missing_rights]
    assert (kept.id, kept.status, kept.occurrences) == (rights.id, ProblemStatus.open, 3)
    assert kept.first_seen_at == rights.first_seen_at
    assert rows[ProblemClass.network].status == ProblemStatus.open
    with db.session_scope(write=True) as session:  # the next success of the operation closes both
        assert problems.resolve(session, client_id=client_id, operations=["link"]) == 2
