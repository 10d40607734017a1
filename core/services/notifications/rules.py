"""E-mail notifications (DESIGN.md §3 I): SMTP settings, one switch per kind, each event sent exactly once.

Once: the log row with the event's unique key is committed before the e-mail goes out, so a second run (or a second
worker) finds it and skips; a failed send is retried on the next run, a sent one never again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from core import audit
from core.db import rowcount, session_scope
from core.errors import InvalidInput
from core.formatting import format_date
from core.models import (
    Client,
    Credential,
    Link,
    NotificationLog,
    NotificationSetting,
    Office,
    Problem,
    SmtpSettings,
    User,
)
from core.security import Actor, Permission
from core.services.notifications.smtp import MailError, SmtpConfig, send_mail
from core.services.usage.package import office_package_usage
from core.types import AuthMethod, NotificationKind, ProblemClass, ProblemStatus, Role, utcnow
from core.vault import seal, unseal_text

TOKEN_SUNSET = date(2026, 12, 31)
SUNSET_MILESTONES = (60, 30, 14, 7, 1)
EXPIRY_THRESHOLDS = ((7, NotificationKind.cert_expiring_7), (14, NotificationKind.cert_expiring_14),
                     (30, NotificationKind.cert_expiring_30))  # fmt: skip
KIND_NAMES_PL = {
    NotificationKind.cert_expiring_30: "Certyfikat wygasa za 30 dni",
    NotificationKind.cert_expiring_14: "Certyfikat wygasa za 14 dni",
    NotificationKind.cert_expiring_7: "Certyfikat wygasa za 7 dni",
    NotificationKind.auth_failed: "Uwierzytelnienie nieudane",
    NotificationKind.rights_missing: "Brak uprawnień",
    NotificationKind.sync_failing: "Synchronizacja nie działa",
    NotificationKind.package_80: "Pakiet wykorzystany w 80%",
    NotificationKind.package_100: "Pakiet wykorzystany w 100%",
    NotificationKind.token_sunset: "Koniec tokenów KSeF (31.12.2026)",
}
SYNC_FAILURES_BEFORE_MAIL = 3


@dataclass(frozen=True)
class Notice:
    kind: str
    key: str
    subject: str
    body: str
    covered: bool = False  # logged as handled by a tighter notice, never mailed


@dataclass(frozen=True)
class SmtpView:
    host: str
    port: int
    security: str
    sender: str
    username: str
    has_password: bool


# --- settings --------------------------------------------------------------------------------------------------------


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
        problems.append("Zabezpieczenie: none, starttls albo tls.")
    if not 1 <= port <= 65535:
        problems.append("Port SMTP musi być liczbą od 1 do 65535.")
    if host.strip() and "@" not in sender:
        problems.append("Adres nadawcy musi być adresem e-mail.")
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
        raise InvalidInput(f"Nieznany rodzaj powiadomienia {kind!r}.")
    addresses = [a.strip() for a in (recipients or "").split(",") if a.strip()]
    if any("@" not in a for a in addresses):
        raise InvalidInput("Adresaci: adresy e-mail rozdzielone przecinkami.")
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
            problems.append(f"Nieznany rodzaj powiadomienia {kind!r}.")
            continue
        addresses = [a.strip() for a in (recipients or "").split(",") if a.strip()]
        wrong = [a for a in addresses if "@" not in a]
        if wrong:
            problems.append(f"{KIND_NAMES_PL[NotificationKind(kind)]}: {', '.join(wrong)} nie jest adresem e-mail.")
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


def sent_log(*, actor: Actor, limit: int = 200) -> list[NotificationLog]:
    actor.require(Permission.manage_settings)
    with session_scope() as session:
        return list(
            session.exec(
                select(NotificationLog)
                .where(NotificationLog.office_id == actor.office_id)
                .order_by(col(NotificationLog.sent_at).desc())
                .limit(limit)
            ).all()
        )


def _config(office_id: int) -> SmtpConfig:
    with session_scope(write=True) as session:
        row = _smtp_row(session, office_id)
        password = unseal_text(row, "password_ciphertext") if row.password_ciphertext else ""
        return SmtpConfig(row.host, row.port, row.security, row.sender, row.username, password)


def _recipients(session: Session, office_id: int, kind: str) -> list[str]:
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


def send_test(*, actor: Actor, to: str = "") -> str:
    """The "send test e-mail" button: goes out at once and lands in the log."""
    actor.require(Permission.manage_settings)
    with session_scope() as session:
        recipients = [to.strip()] if to.strip() else _recipients(session, actor.office_id, NotificationKind.package_80)
    notice = Notice("test", f"test:{uuid.uuid4().hex}", "KSeF Office Console: wiadomość testowa",
                    "To jest wiadomość testowa z konsoli KSeF biura. Powiadomienia działają.")  # fmt: skip
    status, error = _deliver(actor.office_id, notice, recipients)
    with session_scope(write=True) as session:
        audit.record(session, actor, "notification.test", ", ".join(recipients), status=status)
    if status != "sent":
        raise MailError(error)
    return ", ".join(recipients)


# --- events ----------------------------------------------------------------------------------------------------


def collect(session: Session, office_id: int, now: datetime) -> list[Notice]:
    office = session.get(Office, office_id)
    assert office is not None
    return [
        *_certificate_notices(session, office_id, now),
        *_problem_notices(session, office_id),
        *_package_notices(office_id, now),
        *_sunset_notices(session, office, now),
    ]


def _certificate_notices(session: Session, office_id: int, now: datetime) -> list[Notice]:
    rows = session.exec(
        select(Credential).where(
            Credential.office_id == office_id,
            Credential.kind == AuthMethod.ksef_certificate,
            col(Credential.revoked_at).is_(None),
            col(Credential.valid_to) > now,
            col(Credential.valid_to) <= now + timedelta(days=30),
        )
    ).all()
    notices = []
    for credential in rows:
        assert credential.valid_to is not None
        days_left = (credential.valid_to - now).days
        # Only the tightest threshold reached is mailed; looser ones are marked as covered by it.
        for days, kind in EXPIRY_THRESHOLDS:
            if days_left < days:
                owner = session.get(Client, credential.client_id) if credential.client_id else None
                who = f"klienta {owner.name} (NIP {owner.nip})" if owner else "biura (służy wielu klientom)"
                notices.append(Notice(
                    kind, f"{kind}:{credential.id}",
                    f"Certyfikat KSeF {who} wygasa {format_date(credential.valid_to)}",
                    f"Certyfikat „{credential.label}” (numer seryjny {credential.serial_number}) {who} wygasa "
                    f"{format_date(credential.valid_to)}, za {days_left} dni.\nWgraj nowy certyfikat w konsoli "
                    "(Certyfikaty i tokeny), zanim połączenie przestanie działać.",
                ))  # fmt: skip
                notices.extend(
                    Notice(k, f"{k}:{credential.id}", "", "", covered=True) for d, k in EXPIRY_THRESHOLDS if d > days
                )
                break
    return notices


def _problem_notices(session: Session, office_id: int) -> list[Notice]:
    rows = session.exec(
        select(Problem, Client)
        .join(Client, col(Client.id) == col(Problem.client_id))
        .where(Problem.office_id == office_id, Problem.status == ProblemStatus.open)
    ).all()
    notices = []
    for problem, client in rows:
        who = f"{client.name} (NIP {client.nip})"
        if problem.problem_class == ProblemClass.invalid_credentials:
            kind, subject = NotificationKind.auth_failed, f"Uwierzytelnienie w KSeF nie powiodło się: {who}"
        elif problem.problem_class == ProblemClass.missing_rights:
            kind, subject = NotificationKind.rights_missing, f"Brak uprawnień biura w KSeF: {who}"
        elif problem.operation == "sync" and problem.occurrences >= SYNC_FAILURES_BEFORE_MAIL:
            kind, subject = NotificationKind.sync_failing, f"Synchronizacja faktur nie działa: {who}"
        else:
            continue
        body = f"{problem.message}\n\nSzczegóły i naprawa: konsola → Wsparcie (problem nr {problem.id})."
        notices.append(Notice(kind, f"{kind}:problem:{problem.id}", subject, body))
    return notices


def _package_notices(office_id: int, now: datetime) -> list[Notice]:
    usage = office_package_usage(office_id, now)
    notices = []
    held = " Prace nienaglące (np. pobieranie historii) są wstrzymane." if usage.policy == "hold" else ""
    for threshold, kind in ((1.0, NotificationKind.package_100), (0.8, NotificationKind.package_80)):
        if usage.limit and usage.share >= threshold:
            notices.append(Notice(
                kind, f"{kind}:{usage.period.label}",
                f"Pakiet KSeF wykorzystany w {threshold * 100:.0f}%",
                f"W okresie od {format_date(usage.period.start)} wykorzystano {usage.used} z {usage.limit} operacji "
                f"pakietu „{usage.name}”. Prognoza na koniec okresu: {usage.forecast}."
                + (held if threshold >= 1 else ""),
            ))  # fmt: skip
    return notices


def _sunset_notices(session: Session, office: Office, now: datetime) -> list[Notice]:
    days_left = (TOKEN_SUNSET - now.astimezone(UTC).date()).days
    milestone = next((m for m in sorted(SUNSET_MILESTONES) if days_left <= m), None)
    if milestone is None or days_left < 0:
        return []
    clients = session.exec(
        select(Client)
        .join(Link, col(Link.client_id) == col(Client.id))
        .where(
            Client.office_id == office.id, col(Link.unlinked_at).is_(None), Link.auth_method == AuthMethod.ksef_token
        )
    ).all()
    if not clients:
        return []
    names = "\n".join(f"- {c.name} (NIP {c.nip})" for c in clients)
    return [Notice(
        NotificationKind.token_sunset, f"{NotificationKind.token_sunset}:{milestone}",
        f"Tokeny KSeF przestają działać za {days_left} dni: {len(clients)} klientów do przeniesienia",
        f"31.12.2026 tokeny KSeF przestają działać. Tych klientów biuro obsługuje jeszcze tokenem:\n{names}\n\n"
        "Przenieś ich na certyfikat biura (Połącz firmy) albo poproś o uprawnienia dla biura.",
    )]  # fmt: skip


def run_notifications(office_id: int, now: datetime | None = None) -> dict[str, int]:
    """Evaluate every rule and send what has not been sent; a kind switched off is skipped."""
    now = now or utcnow()
    with session_scope() as session:
        notices = collect(session, office_id, now)
        enabled = {
            r.kind for r in session.exec(select(NotificationSetting).where(NotificationSetting.office_id == office_id))
            if r.enabled
        }  # fmt: skip
        recipients = {kind: _recipients(session, office_id, kind) for kind in {n.kind for n in notices}}
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    for notice in notices:
        if notice.covered:
            _claim(office_id, notice, [], status="covered")
            continue
        if notice.kind not in enabled:
            counts["skipped"] += 1
            continue
        status, _error = _deliver(office_id, notice, recipients[notice.kind])
        if status in counts:
            counts[status] += 1
    return counts


def _claim(office_id: int, notice: Notice, recipients: list[str], status: str) -> bool:
    """Insert the log row; False when this event is already logged (sent, covered or being sent)."""
    from core.db import get_engine

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
        send_mail(_config(office_id), recipients, notice.subject, notice.body)
        status, error = "sent", ""
    except MailError as failure:
        status, error = "failed", str(failure)
    with session_scope(write=True) as session:
        session.execute(
            sa.update(NotificationLog)
            .where(col(NotificationLog.dedup_key) == notice.key)
            .values(status=status, error=error[:1000], sent_at=utcnow())
        )
    return status, error
