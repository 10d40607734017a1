"""Asking for a sync: the "sync now" button and the manager's "sync all", each at the earliest moment the
15-minute rule allows (PROTOCOL.md §16.5)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from core.db import session_scope
from core.errors import InvalidInput
from core.jobs.kinds import SYNC, SyncPayload
from core.jobs.queue import StartedJob, start_job
from core.models import Client, SyncState
from core.security import Actor, Permission
from core.services.scope import client_in_office
from core.texts import Text
from core.types import LinkStatus, utcnow

MIN_INTERVAL = timedelta(minutes=15)  # never more often per client and subject type (PROTOCOL.md §16.5)


def request_sync(*, actor: Actor, client_id: int) -> tuple[int, datetime]:
    """ "Synchronizuj teraz": at once, or when the 15-minute rule allows; returns (job id, when it runs).

    One sync per client at a time: while one is pending or running, asking again returns that one."""
    actor.require(Permission.run_operations)
    with session_scope(write=True) as session:
        job = _request(session, actor, client_id)
    return job.id, job.run_after


def _request(session: Session, actor: Actor, client_id: int) -> StartedJob:
    client = client_in_office(session, actor, client_id)
    if client.link_status not in (LinkStatus.linked, LinkStatus.degraded):
        raise InvalidInput(Text("sync.not_linked", client=client.name))
    last = session.exec(select(func.max(SyncState.last_run_at)).where(SyncState.client_id == client_id)).one()
    run_at = max(utcnow(), (last + MIN_INTERVAL) if last else utcnow())
    return start_job(
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


def request_sync_all(*, actor: Actor) -> int:
    """The manager's "sync all": every working link, each at the earliest moment its 15-minute rule allows."""
    actor.require(Permission.run_fleet_operations)
    with session_scope(write=True) as session:
        ids = session.exec(
            select(Client.id).where(
                Client.office_id == actor.office_id,
                col(Client.archived_at).is_(None),
                col(Client.link_status).in_([LinkStatus.linked, LinkStatus.degraded]),
            )
        ).all()
        for client_id in ids:
            if client_id is not None:
                _request(session, actor, client_id)
    return len(ids)
