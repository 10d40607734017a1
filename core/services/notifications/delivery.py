"""Sending notices: each event exactly once.

Once: the log row with the event's unique key is committed before the e-mail goes out, so a second run (or a second
worker) finds it and skips; a failed send is retried on the next run, a sent one never again.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from core import audit
from core.db import get_engine, rowcount, session_scope
from core.models import NotificationLog, NotificationSetting
from core.security import Actor, Permission
from core.services.notifications.rules import Notice, collect
from core.services.notifications.settings import recipients_for, smtp_config
from core.services.notifications.smtp import MailError, send_mail
from core.texts import Text
from core.types import NotificationKind, utcnow


def send_test(*, actor: Actor, to: str = "") -> str:
    """The "send test e-mail" button: goes out at once and lands in the log."""
    actor.require(Permission.manage_settings)
    with session_scope() as session:
        recipients = (
            [to.strip()] if to.strip() else recipients_for(session, actor.office_id, NotificationKind.package_80)
        )
    notice = Notice("test", f"test:{uuid.uuid4().hex}", Text("mail.test.subject"), Text("mail.test.body"))
    status, error = _deliver(actor.office_id, notice, recipients)
    with session_scope(write=True) as session:
        audit.record(session, actor, "notification.test", ", ".join(recipients), status=status)
    if status != "sent":
        raise MailError(Text("notifications.test_failed", error=error))
    return ", ".join(recipients)


def run_notifications(*, actor: Actor, now: datetime | None = None) -> dict[str, int]:
    """Evaluate every rule of the actor's office and send what has not been sent; a kind switched off is skipped.
    A run that sent (or failed to send) anything is audited; each e-mail is in the notification log."""
    actor.require(Permission.run_fleet_operations)
    office_id = actor.office_id
    now = now or utcnow()
    with session_scope() as session:
        notices = collect(session, office_id, now)
        enabled = {
            r.kind for r in session.exec(select(NotificationSetting).where(NotificationSetting.office_id == office_id))
            if r.enabled
        }  # fmt: skip
        recipients = {kind: recipients_for(session, office_id, kind) for kind in {n.kind for n in notices}}
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    config = smtp_config(office_id)
    # Without a server nothing can go out until a person sets one: not a failure to log again every run.
    configured = bool(config.host and config.sender)
    for notice in notices:
        if notice.covered:
            _claim(office_id, notice, [], status="covered")
            continue
        if notice.kind not in enabled or not configured:
            counts["skipped"] += 1
            continue
        status, _error = _deliver(office_id, notice, recipients[notice.kind])
        if status in counts:
            counts[status] += 1
    if counts["sent"] or counts["failed"]:
        with session_scope(write=True) as session:
            audit.record(session, actor, "notification.run", f"office:{office_id}", **counts)
    return counts


def deliver(office_id: int, notice: Notice, recipients: list[str]) -> tuple[str, str]:
    """(status, error) of sending one e-mail once per `notice.key`: the console's one way to send mail (notices,
    invitations, instructions), so each is logged and the demo's local inbox shows them all."""
    return _deliver(office_id, notice, recipients)


def _claim(office_id: int, notice: Notice, recipients: list[str], status: str) -> bool:
    """Insert the log row; False when this event is already logged (sent, covered or being sent)."""
    insert = postgresql.insert if get_engine().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(NotificationLog)
        .values(office_id=office_id, kind=notice.kind, dedup_key=notice.key, recipients=", ".join(recipients),
                subject=notice.subject[:300], status=status, sent_at=utcnow())
        .on_conflict_do_nothing(index_elements=["dedup_key"])
    )  # fmt: skip
    with session_scope(write=True) as session:
        if not rowcount(session.execute(statement)):
            # A failed attempt may be taken again; anything else stays done.
            retried = session.execute(
                sa.update(NotificationLog)
                .where(col(NotificationLog.dedup_key) == notice.key, col(NotificationLog.status) == "failed")
                .values(status=status, sent_at=utcnow())
            )
            return bool(rowcount(retried))
    return True


def _deliver(office_id: int, notice: Notice, recipients: list[str]) -> tuple[str, str]:
    """(status, error): the log row is claimed first, the e-mail goes out after that commit."""
    if not _claim(office_id, notice, recipients, status="sending"):
        return "duplicate", ""
    try:
        send_mail(smtp_config(office_id), recipients, notice.subject, notice.body)
        status, error = "sent", ""
    except MailError as failure:
        status, error = "failed", failure.message
    with session_scope(write=True) as session:
        session.execute(
            sa.update(NotificationLog)
            .where(col(NotificationLog.dedup_key) == notice.key)
            .values(status=status, error=error[:1000], sent_at=utcnow())
        )
    return status, error
