"""Syncing never stops silently (issue 10 #1, DESIGN.md §9.2): a transient failure keeps the client in the schedule
and the next success closes its problem; a cause that needs a person pauses the sync until the scheduled link health
check finds it fixed; a rejected invoice is that invoice's problem; one class never closes another. Over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from core import db
from core.jobs import schedules
from core.jobs.spec import TRANSIENT
from core.jobs.worker import drain
from core.ksef.errors import KsefFailure
from core.models import Client, Invoice, JobRun, Problem
from core.services import problems
from core.services.sync.request import request_sync, syncable_client_ids
from core.types import JobStatus, LinkStatus, ProblemClass, ProblemStatus
from tests.linking import link_with_token
from tests.simulated import seed_clients


def _due_now() -> None:
    with db.session_scope(write=True) as session:
        session.execute(sa.update(JobRun).where(JobRun.status == JobStatus.pending).values(run_after=datetime.now(UTC)))


def _sync_jobs(client_id: int) -> list[JobRun]:
    with db.session_scope() as session:
        return list(
            session.execute(
                sa.select(JobRun)
                .where(JobRun.kind == "sync", JobRun.subject == f"client:{client_id}")
                .order_by(JobRun.id)
            ).scalars()
        )


def _status(client_id: int) -> str:
    with db.session_scope() as session:
        client = session.get(Client, client_id)
        assert client is not None
        return client.link_status


def _problems(client_id: int, status: str = ProblemStatus.open) -> list[Problem]:
    with db.session_scope() as session:
        return list(
            session.execute(
                sa.select(Problem).where(Problem.client_id == client_id, Problem.status == status)
            ).scalars()
        )


def _local_numbers(client_id: int) -> set[str]:
    with db.session_scope() as session:
        return set(session.execute(sa.select(Invoice.ksef_number).where(Invoice.client_id == client_id)).scalars())


def test_a_transient_failure_keeps_the_client_in_the_schedule_and_the_next_success_heals_it(sim, office):
    seeded = seed_clients(sim, office, ["healthy"])
    link_with_token(seeded, "healthy")
    client_id, nip = seeded.ids["healthy"], seeded.nips["healthy"]
    sim.generate_invoices(nip, 3, "both", spread_days=0.01)
    sim.set_faults(errorRate=1.0)  # KSeF answers 503 to everything
    schedules.enqueue_due_syncs()
    for _ in range(5):  # the job's own retries, until it gives up
        _due_now()
        drain()
    (dead,) = _sync_jobs(client_id)
    assert dead.status == JobStatus.dead and dead.error  # failed, with its reason
    (problem,) = _problems(client_id)
    assert problem.problem_class in TRANSIENT and problem.operation == "sync"
    assert _status(client_id) == LinkStatus.error

    assert syncable_client_ids(actor=office.manager) == [client_id]  # `ksef-console sync --all` keeps it too
    schedules.enqueue_due_syncs()  # the schedule retries the dead sync: the client is not dropped
    jobs = _sync_jobs(client_id)
    assert len(jobs) == 2 and jobs[-1].status == JobStatus.pending and jobs[-1].period.startswith("retry:")
    # "Synchronizuj ponownie" during the backoff runs it now instead of silently returning the waiting job.
    job_id, run_at = request_sync(actor=office.support, client_id=client_id)
    assert job_id == jobs[-1].id and run_at <= datetime.now(UTC)

    sim.clear_faults()
    drain()
    assert _sync_jobs(client_id)[-1].status == JobStatus.done
    assert _local_numbers(client_id) == set(sim.invoices(nip))
    assert _problems(client_id) == []
    (closed,) = _problems(client_id, ProblemStatus.closed)
    assert closed.id == problem.id and closed.closed_reason == "next_attempt_ok"
    assert _status(client_id) == LinkStatus.linked


def test_a_sync_that_needs_a_person_pauses_and_the_link_health_check_heals_it(sim, office):
    seeded = seed_clients(sim, office, ["healthy"])
    link_with_token(seeded, "healthy")
    client_id = seeded.ids["healthy"]
    with db.session_scope(write=True) as session:  # rights were withdrawn; the client has granted them again since
        problems.record_failure(
            session, office_id=office.office_id, client_id=client_id, operation="sync",
            failure=KsefFailure(ProblemClass.missing_rights, "403"),
        )  # fmt: skip
        from core.services.linking.status import refresh_link_status

        refresh_link_status(session, client_id)
    assert _status(client_id) == LinkStatus.action_required
    schedules.enqueue_due_syncs()
    assert _sync_jobs(client_id) == []  # paused: a sync cannot succeed until the cause is fixed

    schedules.enqueue_link_health()  # the scheduled health check, no click
    drain()
    assert _problems(client_id) == []
    (closed,) = _problems(client_id, ProblemStatus.closed)
    assert closed.closed_reason == "link_verified"
    assert _status(client_id) == LinkStatus.linked
    schedules.enqueue_due_syncs()
    assert len(_sync_jobs(client_id)) == 1


def test_a_rejected_invoice_is_a_problem_of_the_invoice_not_of_the_link(sim, office):
    seeded = seed_clients(sim, office, ["healthy"])
    link_with_token(seeded, "healthy")
    client_id = seeded.ids["healthy"]
    with db.session_scope(write=True) as session:
        for problem_class in (ProblemClass.invalid_invoice, ProblemClass.duplicate):
            problems.record_failure(
                session, office_id=office.office_id, client_id=client_id, operation="send",
                failure=KsefFailure(problem_class, "430"),
            )  # fmt: skip
        from core.services.linking.status import refresh_link_status

        assert refresh_link_status(session, client_id) == LinkStatus.linked
    schedules.enqueue_due_syncs()
    assert len(_sync_jobs(client_id)) == 1


def test_a_sync_that_fails_for_good_is_a_failed_job_with_its_reason(sim, office):
    seeded = seed_clients(sim, office, ["healthy"])
    link_with_token(seeded, "healthy")
    client_id = seeded.ids["healthy"]
    sim.revoke_all_tokens(seeded.nips["healthy"])
    with db.session_scope(write=True) as session:  # no cached access token: the sync must authenticate
        session.execute(sa.text("DELETE FROM ksef_session"))
    request_sync(actor=office.support, client_id=client_id)
    drain()
    (job,) = _sync_jobs(client_id)
    assert job.status == JobStatus.dead, job.result  # not "Synchronizacja zakończona"
    (problem,) = _problems(client_id)
    assert problem.problem_class not in TRANSIENT and job.error


def test_a_link_check_that_failed_transiently_is_retried_by_the_schedule(sim, office):
    from core.services.linking import links

    seeded = seed_clients(sim, office, ["healthy"])
    link_with_token(seeded, "healthy")
    client_id = seeded.ids["healthy"]
    with db.session_scope(write=True) as session:
        session.execute(sa.text("DELETE FROM ksef_session"))
    sim.set_faults(errorRate=1.0)
    outcome = links.verify_link(actor=office.support, client_id=client_id)
    assert not outcome.ok and outcome.problem_class in TRANSIENT
    assert schedules.enqueue_link_retries() == 0  # not before its backoff
    with db.session_scope(write=True) as session:
        session.execute(sa.update(Problem).values(last_seen_at=datetime(2026, 1, 1, tzinfo=UTC)))
    sim.clear_faults()
    assert schedules.enqueue_link_retries() == 1
    assert schedules.enqueue_link_retries() == 1  # due again, but one retry job at a time
    assert drain() == 1
    assert _problems(client_id) == []
    assert _status(client_id) == LinkStatus.linked
