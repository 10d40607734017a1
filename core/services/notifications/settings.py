"""Notification settings (DESIGN.md §3 I): the office's SMTP server (password write-only), one switch and recipient
list per kind, and the log of e-mails sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from core import audit
from core.db import session_scope
from core.errors import InvalidInput
from core.models import NotificationLog, NotificationSetting, SmtpSettings, User
from core.security import Actor, Permission
from core.services.notifications.smtp import SmtpConfig
from core.texts import Text
from core.types import NotificationKind, Role
from core.vault import seal, unseal_text


@dataclass(frozen=True)
class SentMail:
    """One line of the sent log."""

    kind: str
    recipients: str
    subject: str
    status: str
    error: str
    sent_at: datetime


@dataclass(frozen=True)
class SmtpView:
    host: str
    port: int
    security: str
    sender: str
    username: str
    has_password: bool


def _smtp_row(session: Session, office_id: int) -> SmtpSettings:
    row = session.exec(select(SmtpSettings).where(SmtpSettings.office_id == office_id)).first()
    if row is None:
        row = SmtpSettings(office_id=office_id)
        session.add(row)
        session.flush()
    return row


def smtp_settings(*, actor: Actor) -> SmtpView:
    actor.require(Permission.manage_settings)
    with session_scope(write=True) as session:
        row = _smtp_row(session, actor.office_id)
        return SmtpView(row.host, row.port, row.security, row.sender, row.username, row.password_ciphertext is not None)


def update_smtp(
    *, actor: Actor, host: str, port: int, security: str, sender: str, username: str = "", password: str | None = None
) -> SmtpView:
    """`password=None` keeps the stored one; an empty string removes it."""
    actor.require(Permission.manage_settings)
    problems = []
    if security not in ("none", "starttls", "tls"):
        problems.append(Text("notifications.smtp.security"))
    if not 1 <= port <= 65535:
        problems.append(Text("notifications.smtp.port"))
    if host.strip() and "@" not in sender:
        problems.append(Text("notifications.smtp.sender"))
    if problems:
        raise InvalidInput(problems)
    with session_scope(write=True) as session:
        row = _smtp_row(session, actor.office_id)
        row.host, row.port, row.security = host.strip(), port, security
        row.sender, row.username = sender.strip(), username.strip()
        if password is not None:
            if password:
                seal(row, "password_ciphertext", password)
            else:
                row.password_ciphertext = None
        session.add(row)
        audit.record(
            session,
            actor,
            "smtp.update",
            f"office:{actor.office_id}",
            host=row.host,
            password_changed=password is not None,
        )
        return SmtpView(row.host, row.port, row.security, row.sender, row.username, row.password_ciphertext is not None)


def switches(*, actor: Actor) -> dict[str, tuple[bool, str]]:
    actor.require(Permission.manage_settings)
    with session_scope() as session:
        rows = session.exec(select(NotificationSetting).where(NotificationSetting.office_id == actor.office_id)).all()
    return {r.kind: (r.enabled, r.recipients) for r in rows}


def set_switch(*, actor: Actor, kind: str, enabled: bool, recipients: str | None = None) -> None:
    actor.require(Permission.manage_settings)
    if kind not in set(NotificationKind):
        raise InvalidInput(Text("notifications.unknown_kind", kind=repr(kind)))
    addresses = [a.strip() for a in (recipients or "").split(",") if a.strip()]
    if any("@" not in a for a in addresses):
        raise InvalidInput(Text("notifications.recipients"))
    with session_scope(write=True) as session:
        row = session.exec(
            select(NotificationSetting).where(
                NotificationSetting.office_id == actor.office_id, NotificationSetting.kind == kind
            )
        ).first() or NotificationSetting(office_id=actor.office_id, kind=NotificationKind(kind))
        row.enabled = enabled
        if recipients is not None:
            row.recipients = ", ".join(addresses)
        session.add(row)
        audit.record(session, actor, "notification.switch", kind, enabled=enabled)


def set_switches(*, actor: Actor, settings: dict[str, tuple[bool, str]]) -> None:
    """Every kind's switch and recipients at once (the settings form): all are checked first, then all are saved
    in one transaction, so a bad address saves nothing."""
    actor.require(Permission.manage_settings)
    problems = []
    clean: dict[str, tuple[bool, str]] = {}
    for kind, (enabled, recipients) in settings.items():
        if kind not in set(NotificationKind):
            problems.append(Text("notifications.unknown_kind", kind=repr(kind)))
            continue
        addresses = [a.strip() for a in (recipients or "").split(",") if a.strip()]
        wrong = [a for a in addresses if "@" not in a]
        if wrong:
            problems.append(
                Text("notifications.not_an_address", kind=Text(f"notification_kind.{kind}"), addresses=", ".join(wrong))
            )
        clean[kind] = (bool(enabled), ", ".join(addresses))
    if problems:
        raise InvalidInput(problems)
    with session_scope(write=True) as session:
        rows = {
            r.kind: r
            for r in session.exec(select(NotificationSetting).where(NotificationSetting.office_id == actor.office_id))
        }
        for kind, (enabled, recipients) in clean.items():
            row = rows.get(NotificationKind(kind)) or NotificationSetting(
                office_id=actor.office_id, kind=NotificationKind(kind)
            )
            row.enabled, row.recipients = enabled, recipients
            session.add(row)
        audit.record(
            session, actor, "notification.switches", f"office:{actor.office_id}",
            enabled=sorted(k for k, (on, _) in clean.items() if on),
        )  # fmt: skip


def sent_log(*, actor: Actor, limit: int = 200) -> list[SentMail]:
    actor.require(Permission.manage_settings)
    with session_scope() as session:
        rows = session.exec(
            select(NotificationLog)
            .where(NotificationLog.office_id == actor.office_id)
            .order_by(col(NotificationLog.sent_at).desc())
            .limit(limit)
        ).all()
        return [SentMail(r.kind, r.recipients, r.subject, r.status, r.error, r.sent_at) for r in rows]


def smtp_config(office_id: int) -> SmtpConfig:
    """The SMTP server to send through; a read (an office that never saved its settings gets the defaults)."""
    with session_scope() as session:
        row = session.exec(select(SmtpSettings).where(SmtpSettings.office_id == office_id)).first()
        row = row or SmtpSettings(office_id=office_id)
        password = unseal_text(row, "password_ciphertext") if row.password_ciphertext else ""
        return SmtpConfig(row.host, row.port, row.security, row.sender, row.username, password)


def recipients_for(session: Session, office_id: int, kind: str) -> list[str]:
    setting = session.exec(
        select(NotificationSetting).where(NotificationSetting.office_id == office_id, NotificationSetting.kind == kind)
    ).first()
    if setting is not None and setting.recipients.strip():
        return [a.strip() for a in setting.recipients.split(",") if a.strip()]
    managers = session.exec(
        select(User.email).where(
            User.office_id == office_id, User.role == Role.manager, col(User.disabled_at).is_(None)
        )
    ).all()
    return sorted({m for m in managers if m})
