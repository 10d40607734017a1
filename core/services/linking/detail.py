"""What the Klient page reads about one client besides the register row: its active link and its history.

Both are reads (`view`); the credential's name is only given to roles that may see credential metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from core.db import session_scope
from core.errors import NotFound
from core.models import AuditEvent, Client, Credential, Problem
from core.security import Actor, Permission
from core.services.linking.status import REAUTH_WARNING, active_link
from core.services.problems import closed_reason, explain
from core.texts import Text
from core.types import ProblemStatus, utcnow

HISTORY_LIMIT = 100


@dataclass(frozen=True)
class LinkDetails:
    environment: str
    auth_method: str
    credential_id: int | None
    credential_label: str  # empty for roles without `view_secrets_metadata`
    credential_source: str
    credential_valid_to: datetime | None
    send_enabled: bool
    key_verified_at: datetime | None
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    permissions: list[str]
    permissions_checked_at: datetime | None
    reauth_due_at: datetime | None
    created_at: datetime

    def reauth_state(self, now: datetime | None = None) -> str:
        """ "" when no re-authorization is pending, "soon" within the warning window, "overdue" once past."""
        if self.reauth_due_at is None:
            return ""
        now = now or utcnow()
        if self.reauth_due_at <= now:
            return "overdue"
        return "soon" if self.reauth_due_at <= now + REAUTH_WARNING else ""


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    kind: str  # "event" (an audit event) or "problem" (a problem that closed)
    actor: str
    action: str  # the audit action, or the problem class
    details: dict[str, Any]
    text: str  # for a closed problem: its title, message and why it closed


def _own_client(session: Session, actor: Actor, client_id: int) -> Client:
    client = session.get(Client, client_id)
    if client is None or client.office_id != actor.office_id:
        raise NotFound(Text("client.not_found", id=client_id))
    return client


def link_details(*, actor: Actor, client_id: int) -> LinkDetails | None:
    """The client's active link, or None when it has none."""
    actor.require(Permission.view)
    with session_scope() as session:
        _own_client(session, actor, client_id)
        link = active_link(session, client_id)
        if link is None:
            return None
        credential = session.get(Credential, link.credential_id) if link.credential_id else None
        shown = credential is not None and actor.can(Permission.view_secrets_metadata)
        return LinkDetails(
            environment=link.environment,
            auth_method=link.auth_method,
            credential_id=link.credential_id if shown else None,
            credential_label=credential.label if shown and credential else "",
            credential_source=credential.source if credential else "",
            credential_valid_to=credential.valid_to if credential else None,
            send_enabled=link.send_enabled,
            key_verified_at=link.key_verified_at,
            last_attempt_at=link.last_attempt_at,
            last_success_at=link.last_success_at,
            permissions=sorted(link.permissions or []),
            permissions_checked_at=link.permissions_checked_at,
            reauth_due_at=link.reauth_due_at,
            created_at=link.created_at,
        )


def client_history(*, actor: Actor, client_id: int, limit: int = HISTORY_LIMIT) -> list[HistoryEntry]:
    """Newest first: the audit events about the client or its credentials, and the client's closed problems."""
    actor.require(Permission.view)
    with session_scope() as session:
        _own_client(session, actor, client_id)
        credential_ids = session.exec(select(Credential.id).where(Credential.client_id == client_id)).all()
        targets = [f"client:{client_id}", *(f"credential:{cid}" for cid in credential_ids)]
        events = session.exec(
            select(AuditEvent)
            .where(AuditEvent.office_id == actor.office_id, col(AuditEvent.target).in_(targets))
            .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
            .limit(limit)
        ).all()
        closed = session.exec(
            select(Problem)
            .where(
                Problem.client_id == client_id,
                Problem.status == ProblemStatus.closed,
                col(Problem.closed_at).is_not(None),
            )
            .order_by(col(Problem.closed_at).desc())
            .limit(limit)
        ).all()
        # Credential events carry kinds and serial numbers: only for roles that may see credential metadata.
        shown = actor.can(Permission.view_secrets_metadata)
        entries = [
            HistoryEntry(
                e.at,
                "event",
                e.actor,
                e.action,
                dict(e.details or {}) if shown or e.target.startswith("client:") else {},
                "",
            )
            for e in events
        ]
        for problem in closed:
            assert problem.closed_at is not None
            explanation = explain(problem.problem_class)
            title = explanation.title if explanation else problem.problem_class
            message = problem.message_text or problem.message
            text = (
                Text(
                    "history.problem.closed", title=title, message=message, reason=closed_reason(problem.closed_reason)
                )
                if problem.closed_reason
                else Text("history.problem", title=title, message=message)
            )
            entries.append(HistoryEntry(problem.closed_at, "problem", "", problem.problem_class, {}, text))
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]
