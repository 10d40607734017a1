"""Asking for a sync: the "sync now" button and the manager's "sync all", each at the earliest moment the
15-minute rule allows (PROTOCOL.md §16.5)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from core.db import session_scope
from core.errors import InvalidInput
from core.jobs.kinds import SYNC, SyncPayload
from core.jobs.queue import StartedJob, start_job
from core.models import JobRun, SyncState
from core.security import Actor, Permission
from core.services.linking.status import can_sync, syncable_clients
from core.services.scope import client_in_office
from core.texts import Text
from core.types import JobStatus, utcnow

# Never more often per client and subject type (PROTOCOL.md §16.5). Only `make soak` shrinks it (the variable
# below), to run the real schedule through many intervals in minutes against the simulator.
MIN_INTERVAL = timedelta(seconds=float(os.environ.get("KSEF_CONSOLE_SOAK_SYNC_INTERVAL_SECONDS", "900")))


def request_sync(*, actor: Actor, client_id: int) -> tuple[int, datetime]:
    """ "Synchronizuj teraz": at once, or when the 15-minute rule allows; returns (job id, when it runs).

    One sync per client at a time: while one is pending or running, asking again returns that one."""
    actor.require(Permission.run_operations)
    with session_scope(write=True) as session:
        job = _request(session, actor, client_id)
    return job.id, job.run_after


def _request(session: Session, actor: Actor, client_id: int) -> StartedJob:
    client = client_in_office(session, actor, client_id)
    if not can_sync(session, client_id):
        raise InvalidInput(Text("sync.not_linked", client=client.name))
    # A failed attempt received nothing, so the 15-minute rule counts from the last successful one.
    last = session.exec(select(func.max(SyncState.last_success_at)).where(SyncState.client_id == client_id)).one()
    run_at = max(utcnow(), (last + MIN_INTERVAL) if last else utcnow())
    job = start_job(
        session,
        actor,
        SYNC,
        SyncPayload(client_id=client_id),
        action="sync.request",
        target=f"client:{client_id}",
        subject=f"client:{client_id}",
        run_after=run_at,
        priority=10,
    )
    if not job.new and job.run_after > run_at:
        # The sync waits for a retry's backoff: a person asking for it now gets it now, never silently nothing.
        session.execute(
            sa.update(JobRun)
            .where(col(JobRun.id) == job.id, col(JobRun.status) == JobStatus.pending)
            .values(run_after=run_at)
        )
        job = StartedJob(job.id, run_at, new=False)
    return job


def request_sync_all(*, actor: Actor) -> int:
    """The manager's "sync all": every working link, each at the earliest moment its 15-minute rule allows."""
    actor.require(Permission.run_fleet_operations)
    with session_scope(write=True) as session:
        ids = [client_id for client_id, _ in syncable_clients(session, office_id=actor.office_id)]
        for client_id in ids:
            _request(session, actor, client_id)
    return len(ids)


def syncable_client_ids(*, actor: Actor) -> list[int]:
    """The office's clients a sync can succeed for (`ksef-console sync --all`)."""
    actor.require(Permission.run_operations)
    with session_scope() as session:
        return sorted(client_id for client_id, _ in syncable_clients(session, office_id=actor.office_id))
