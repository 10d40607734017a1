"""What deserves an e-mail (DESIGN.md §3 I.22): certificates expiring (30/14/7 days), failed authentication, missing
rights, failing syncs, the package at 80/100 % and the token sunset. Each rule yields notices with a unique key, so
each event is mailed once (see delivery)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, col, select

from core.formatting import format_date
from core.models import Client, Credential, Link, Office, Problem
from core.services.usage.package import office_package_usage
from core.texts import Joined, Text
from core.types import AuthMethod, NotificationKind, ProblemClass, ProblemStatus

TOKEN_SUNSET = date(2026, 12, 31)

SUNSET_MILESTONES = (60, 30, 14, 7, 1)

EXPIRY_THRESHOLDS = ((7, NotificationKind.cert_expiring_7), (14, NotificationKind.cert_expiring_14),
                     (30, NotificationKind.cert_expiring_30))  # fmt: skip


SYNC_FAILURES_BEFORE_MAIL = 3


@dataclass(frozen=True)
class Notice:
    kind: str
    key: str
    subject: str
    body: str
    covered: bool = False  # logged as handled by a tighter notice, never mailed


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
                who = (
                    Text("mail.cert_expiring.client", name=owner.name, nip=owner.nip)
                    if owner
                    else Text("mail.cert_expiring.office")
                )
                valid_to = format_date(credential.valid_to)
                notices.append(Notice(
                    kind, f"{kind}:{credential.id}",
                    Text("mail.cert_expiring.subject", who=who, valid_to=valid_to),
                    Text("mail.cert_expiring.body", label=credential.label, serial=credential.serial_number, who=who,
                         valid_to=valid_to, days=days_left),
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
        if problem.problem_class == ProblemClass.invalid_credentials:
            kind = NotificationKind.auth_failed
        elif problem.problem_class == ProblemClass.missing_rights:
            kind = NotificationKind.rights_missing
        elif problem.operation == "sync" and problem.occurrences >= SYNC_FAILURES_BEFORE_MAIL:
            kind = NotificationKind.sync_failing
        else:
            continue
        subject = Text(f"mail.problem.{kind}.subject", name=client.name, nip=client.nip)
        body = Text("mail.problem.body", message=problem.message, id=problem.id)
        if kind == NotificationKind.auth_failed and _on_certificate(session, client.id):
            # Issue 12 #6: a certificate that fails to log in was uploaded wrongly or is invalid; say so.
            body = Text("mail.problem.certificate_failed.body", message=problem.message, id=problem.id)
        notices.append(Notice(kind, f"{kind}:problem:{problem.id}", subject, body))
    return notices


def _on_certificate(session: Session, client_id: int | None) -> bool:
    link = session.exec(select(Link).where(Link.client_id == client_id, col(Link.unlinked_at).is_(None))).first()
    return link is not None and link.auth_method == AuthMethod.ksef_certificate


def _package_notices(office_id: int, now: datetime) -> list[Notice]:
    usage = office_package_usage(office_id, now)
    notices = []
    held = usage.policy == "hold"
    for threshold, kind in ((1.0, NotificationKind.package_100), (0.8, NotificationKind.package_80)):
        if usage.limit and usage.share >= threshold:
            values = {"start": format_date(usage.period.start), "used": usage.used, "limit": usage.limit,
                      "name": usage.name, "forecast": usage.forecast}  # fmt: skip
            body = (
                Text("mail.package.body_held", **values)
                if held and threshold >= 1
                else Text("mail.package.body", **values)
            )
            notices.append(Notice(
                kind, f"{kind}:{usage.period.label}", Text("mail.package.subject", percent=threshold * 100), body
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
    names = Joined([Text("mail.sunset.client", name=c.name, nip=c.nip) for c in clients], "\n")
    return [Notice(
        NotificationKind.token_sunset, f"{NotificationKind.token_sunset}:{milestone}",
        Text("mail.sunset.subject", days=days_left, count=len(clients)),
        Text("mail.sunset.body", names=names),
    )]  # fmt: skip
