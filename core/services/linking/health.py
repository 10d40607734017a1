"""Scheduled upkeep of the fleet: access tokens refreshed ahead of time, link statuses recomputed as certificates
approach expiry, links re-verified, KSeF availability probed."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from core import audit
from core.db import session_scope
from core.jobs.kinds import LinkHealthResult, RefreshResult, StatusScanResult
from core.ksef.errors import KsefFailure
from core.ksef.gateway import KsefGateway
from core.models import Client, EnvironmentStatus, KsefSession, Link
from core.security import Actor, Permission
from core.services.linking.connection import load_facts, open_ksef
from core.services.linking.links import queue_bulk_verify
from core.services.linking.status import refresh_link_status
from core.types import KsefEnvironment, LinkStatus, utcnow

REFRESH_AHEAD = timedelta(minutes=5)


def refresh_expiring_sessions(*, actor: Actor) -> RefreshResult:
    """Refresh access tokens that expire within five minutes, so no user-facing call waits for it (the session
    cache is bookkeeping, not a change a person makes: a refresh is not audited; a certificate's progress is)."""
    actor.require(Permission.run_fleet_operations)
    office_id = actor.office_id
    soon = utcnow() + REFRESH_AHEAD
    with session_scope() as session:
        client_ids = session.exec(
            select(KsefSession.client_id)
            .join(Client, col(Client.id) == col(KsefSession.client_id))
            .where(Client.office_id == office_id, col(KsefSession.access_valid_until) < soon)
            .where(col(KsefSession.refresh_valid_until) > utcnow())
        ).all()
    refreshed = failed = 0
    for client_id in set(client_ids):
        try:
            with open_ksef(load_facts(client_id), actor) as call:
                call.access_token()
            refreshed += 1
        except KsefFailure:
            failed += 1  # the next operation on this client will classify and report it
    return RefreshResult(refreshed=refreshed, failed=failed)


def recompute_statuses(*, actor: Actor) -> StatusScanResult:
    """Certificates cross the 30-day and expiry lines without any call to KSeF; statuses must follow."""
    actor.require(Permission.run_fleet_operations)
    changed: dict[int, str] = {}
    with session_scope(write=True) as session:
        clients = session.exec(
            select(Client).where(Client.office_id == actor.office_id, col(Client.archived_at).is_(None))
        ).all()
        for client in clients:
            assert client.id is not None
            before = client.link_status
            after = refresh_link_status(session, client.id)
            if after != before:
                changed[client.id] = after
        if changed:
            audit.record(session, actor, "link.status_scan", f"office:{actor.office_id}", clients=sorted(changed))
    return StatusScanResult(clients=len(clients), changed=len(changed))


def verify_all_links(*, actor: Actor) -> LinkHealthResult:
    """Queue a bulk verify of every working link of the office (the hourly health check)."""
    with session_scope(write=True) as session:
        client_ids = sorted(
            set(
                session.exec(
                    select(Link.client_id)
                    .join(Client, col(Client.id) == col(Link.client_id))
                    .where(Client.office_id == actor.office_id, col(Link.unlinked_at).is_(None))
                    .where(col(Client.archived_at).is_(None), col(Client.link_status) != LinkStatus.unlinked)
                ).all()
            )
        )
        if not client_ids:
            return LinkHealthResult(clients=0)
        return LinkHealthResult(clients=len(client_ids), job_id=queue_bulk_verify(session, actor, client_ids))


def probe_availability() -> dict[str, str]:
    """Ask Latarnia about every environment a link uses; the overview shows the answer."""
    with session_scope() as session:
        environments = set(session.exec(select(Link.environment).where(col(Link.unlinked_at).is_(None))).all())
    results = {}
    for environment in sorted(environments):
        try:
            with KsefGateway(environment, "") as gateway:
                answer = gateway.lighthouse_status()
            status, messages = str(answer.get("status") or "UNKNOWN"), list(answer.get("messages") or [])
        except KsefFailure as failure:
            status, messages = "UNREACHABLE", [{"text": failure.message}]
        with session_scope(write=True) as session:
            row = session.get(EnvironmentStatus, environment) or EnvironmentStatus(
                environment=KsefEnvironment(environment)
            )
            row.status, row.messages, row.checked_at = status, messages, utcnow()
            session.add(row)
        results[environment] = status
    return results
