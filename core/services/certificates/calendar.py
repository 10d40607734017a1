"""The office's credential calendar (issue 12 #4): every certificate's expiry (authentication and offline apart), the
token sunset of every client still on a token, and the re-authorization horizon of signature-based clients — with
days left, for filters, a timeline and an export through the report writers."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import col, select

from core.db import session_scope
from core.formatting import to_warsaw
from core.models import Client, Credential, Link
from core.security import Actor, Permission
from core.services.linking.credentials import derived_status
from core.services.notifications.rules import TOKEN_SUNSET
from core.services.reports.writers import Sheet, write_csv, write_xlsx
from core.texts import DEFAULT_LANGUAGE, render
from core.types import AuthMethod, CertificateType, utcnow

KINDS = ("certificate", "offline_certificate", "token_sunset", "reauthorization")


@dataclass(frozen=True)
class CalendarEvent:
    day: date
    kind: str  # one of KINDS
    owner: str  # the client's name, or "" for the office
    nip: str
    label: str
    status: str  # a CredentialStatus for certificates, "" otherwise
    days_left: int


def credential_calendar(*, actor: Actor, now: datetime | None = None) -> list[CalendarEvent]:
    """Every dated credential event of the office, soonest first."""
    actor.require(Permission.view_secrets_metadata)
    now = now or utcnow()
    today = to_warsaw(now).date()
    events: list[CalendarEvent] = []
    with session_scope() as session:
        names = {
            c.id: (c.name, c.nip)
            for c in session.exec(select(Client).where(Client.office_id == actor.office_id)).all()
            if c.id is not None and c.archived_at is None
        }
        credentials = session.exec(
            select(Credential)
            .where(Credential.office_id == actor.office_id, Credential.kind == AuthMethod.ksef_certificate)
            .where(col(Credential.revoked_at).is_(None), col(Credential.valid_to).is_not(None))
        ).all()
        for row in credentials:
            if row.client_id is not None and row.client_id not in names:
                continue
            assert row.valid_to is not None
            owner, nip = names.get(row.client_id, ("", "")) if row.client_id is not None else ("", "")
            offline = row.certificate_type == CertificateType.Offline
            day = to_warsaw(row.valid_to).date()
            events.append(CalendarEvent(
                day, "offline_certificate" if offline else "certificate", owner, nip, row.label,
                derived_status(row, now), (day - today).days,
            ))  # fmt: skip
        links = session.exec(
            select(Link).where(col(Link.unlinked_at).is_(None), col(Link.client_id).in_(list(names)))
        ).all()
        for link in links:
            owner, nip = names[link.client_id]
            if link.auth_method == AuthMethod.ksef_token:
                days = (TOKEN_SUNSET - today).days
                events.append(CalendarEvent(TOKEN_SUNSET, "token_sunset", owner, nip, "", "", days))
            elif link.reauth_due_at is not None:
                day = to_warsaw(link.reauth_due_at).date()
                events.append(CalendarEvent(day, "reauthorization", owner, nip, "", "", (day - today).days))
    return sorted(events, key=lambda e: (e.day, e.kind, e.owner))


def filtered(
    events: Sequence[CalendarEvent], *, kinds: Sequence[str] = KINDS, search: str = "", within_days: int | None = None
) -> list[CalendarEvent]:
    needle = search.strip().lower()
    return [
        e
        for e in events
        if e.kind in kinds
        and (not needle or needle in e.owner.lower() or needle in e.nip or needle in e.label.lower())
        and (within_days is None or e.days_left <= within_days)
    ]


def calendar_sheet(events: Sequence[CalendarEvent], lang: str = DEFAULT_LANGUAGE) -> Sheet:
    header = [
        render(f"calendar.col.{name}", lang) for name in ("day", "kind", "owner", "nip", "label", "status", "days")
    ]
    rows = [
        [
            e.day,
            render(f"calendar.kind.{e.kind}", lang),
            e.owner or render("owner.office_all", lang),
            e.nip,
            e.label,
            render(f"credential_status.{e.status}", lang) if e.status else "",
            e.days_left,
        ]
        for e in events
    ]
    return Sheet(render("calendar.file", lang), header, rows)


def export_calendar(*, actor: Actor, events: Sequence[CalendarEvent], fmt: str, lang: str = DEFAULT_LANGUAGE) -> bytes:
    """The (filtered) calendar as CSV for Polish Excel or XLSX; no secret is in it."""
    actor.require(Permission.view_secrets_metadata)
    out = io.BytesIO()
    table = calendar_sheet(events, lang)
    if fmt == "xlsx":
        write_xlsx(table, out)
    else:
        write_csv(table, out)
    return out.getvalue()
