"""Who still depends on a KSeF token, whether the office certificate can already serve each of them (asked of KSeF
through the rights doctor), and the bulk switch of those it can, as a resumable job.

A switch goes through `links.connect_client`, which verifies the office certificate in the client's context first
and changes the link only when that works (DESIGN.md §9); a failure leaves the token link exactly as it was. The
token itself is never revoked here: it stays as the fallback until the sunset. A client's row is marked `switching`
before its attempt, so a worker killed mid-switch resumes from the link's real state and no client is ever left
without a working credential.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, func, select

from core import audit
from core.db import session_scope
from core.errors import InvalidInput, NotFound
from core.formatting import to_warsaw
from core.jobs.kinds import TOKEN_SWITCH, TokenSwitchPayload, TokenSwitchResult
from core.jobs.queue import start_job
from core.jobs.spec import Progress, no_progress
from core.models import Client, Link, TokenMigration
from core.models.links import LinkRequest
from core.security import Actor, Permission
from core.services.certificates.identity import default_identity_id
from core.services.linking import links, rights
from core.services.linking.status import active_link
from core.services.notifications.rules import TOKEN_SUNSET
from core.services.scope import credential_in_office, require_clients
from core.texts import Text
from core.types import AuthMethod, MigrationStatus, utcnow

CHECK_CONCURRENCY = 8
SUNSET: date = TOKEN_SUNSET  # the last day tokens work


@dataclass(frozen=True)
class CampaignRow:
    client_id: int
    name: str
    nip: str
    email: str
    link_status: str
    on_token: bool  # the client still depends on its token
    status: str  # MigrationStatus
    eligible: bool | None  # the office certificate can serve it now (None: not asked yet)
    message: str
    rights_checked_at: datetime | None
    instruction_sent_at: datetime | None
    switched_at: datetime | None


@dataclass(frozen=True)
class Campaign:
    sunset: date
    days_left: int
    office_certificate_id: int | None
    rows: list[CampaignRow]

    @property
    def remaining(self) -> int:
        return sum(1 for row in self.rows if row.on_token)

    @property
    def eligible(self) -> int:
        return sum(1 for row in self.rows if row.on_token and row.eligible)

    @property
    def switched(self) -> int:
        return sum(1 for row in self.rows if row.status == MigrationStatus.switched)

    def summary(self) -> dict[str, object]:
        counts = {status.value: 0 for status in MigrationStatus}
        for row in self.rows:
            counts[row.status] += 1
        return {
            "sunset": self.sunset.isoformat(),
            "days_left": self.days_left,
            "remaining": self.remaining,
            "eligible": self.eligible,
            "switched": self.switched,
            "statuses": counts,
            "office_certificate": self.office_certificate_id,
        }


def days_left(now: datetime | None = None) -> int:
    return max(0, (TOKEN_SUNSET - to_warsaw(now or utcnow()).date()).days)


def remaining_count(*, actor: Actor) -> int:
    """How many clients still depend on a token (Przegląd's countdown; every role may see the number)."""
    actor.require(Permission.view)
    with session_scope() as session:
        found = session.exec(
            select(func.count())
            .select_from(Client)
            .join(Link, col(Link.client_id) == col(Client.id))
            .where(Client.office_id == actor.office_id, col(Client.archived_at).is_(None))
            .where(col(Link.unlinked_at).is_(None), Link.auth_method == AuthMethod.ksef_token)
        ).one()
    return int(found)


def _migration(session: Session, office_id: int, client_id: int) -> TokenMigration:
    row = session.exec(select(TokenMigration).where(TokenMigration.client_id == client_id)).first()
    if row is None:
        row = TokenMigration(office_id=office_id, client_id=client_id)
        session.add(row)
        session.flush()
    return row


def campaign(*, actor: Actor) -> Campaign:
    """Every client on a token, and every client the campaign already moved."""
    actor.require(Permission.view_secrets_metadata)
    with session_scope() as session:
        pairs = session.exec(
            select(Client, Link)
            .join(Link, col(Link.client_id) == col(Client.id))
            .where(Client.office_id == actor.office_id, col(Client.archived_at).is_(None))
            .where(col(Link.unlinked_at).is_(None))
            .order_by(col(Client.name))
        ).all()
        moved = {
            m.client_id: m
            for m in session.exec(select(TokenMigration).where(TokenMigration.office_id == actor.office_id)).all()
        }
        rows = []
        for client, link in pairs:
            assert client.id is not None
            migration = moved.get(client.id)
            on_token = link.auth_method == AuthMethod.ksef_token
            if not on_token and migration is None:
                continue
            status = migration.status if migration else MigrationStatus.not_contacted
            eligible = None
            if migration is not None and migration.rights_checked_at is not None:
                eligible = status in {MigrationStatus.rights_granted, MigrationStatus.switched}
            rows.append(
                CampaignRow(
                    client.id,
                    client.name,
                    client.nip,
                    client.email,
                    client.link_status,
                    on_token,
                    status,
                    eligible,
                    migration.message if migration else "",
                    migration.rights_checked_at if migration else None,
                    migration.instruction_sent_at if migration else None,
                    migration.switched_at if migration else None,
                )
            )
        certificate = default_identity_id(session, actor.office_id)
    return Campaign(SUNSET, days_left(), certificate, rows)


def _office_certificate(actor: Actor) -> int:
    with session_scope() as session:
        certificate = default_identity_id(session, actor.office_id)
    if certificate is None:
        raise NotFound(Text("campaign.no_office_certificate"))
    return certificate


def _token_clients(actor: Actor, client_ids: Sequence[int] | None) -> list[int]:
    chosen = [row.client_id for row in campaign(actor=actor).rows if row.on_token]
    return chosen if client_ids is None else [c for c in chosen if c in set(client_ids)]


def check_rights(*, actor: Actor, client_ids: Sequence[int] | None = None) -> Campaign:
    """Ask KSeF, for each token client, whether the office certificate can already work in its context."""
    actor.require(Permission.run_operations)
    certificate = _office_certificate(actor)
    chosen = _token_clients(actor, client_ids)

    def probe(client_id: int) -> rights.OfficeRights:
        return rights.office_certificate_rights(actor=actor, client_id=client_id, credential_id=certificate)

    with ThreadPoolExecutor(max_workers=CHECK_CONCURRENCY, thread_name_prefix="campaign") as pool:
        answers = list(pool.map(probe, chosen))
    now = utcnow()
    with session_scope(write=True) as session:
        for answer in answers:
            row = _migration(session, actor.office_id, answer.client_id)
            row.rights_checked_at, row.updated_at = now, now
            if answer.sufficient:
                row.status = MigrationStatus.rights_granted if row.status != MigrationStatus.switched else row.status
                row.message = ""
            else:
                if row.status == MigrationStatus.rights_granted:  # rights taken back since
                    row.status = (
                        MigrationStatus.instruction_sent if row.instruction_sent_at else MigrationStatus.not_contacted
                    )
                row.message = answer.error or Text("campaign.missing", missing=", ".join(answer.missing))
            session.add(row)
        audit.record(
            session, actor, "campaign.check", f"office:{actor.office_id}", clients=len(answers),
            eligible=sum(1 for a in answers if a.sufficient),
        )  # fmt: skip
    return campaign(actor=actor)


def start_switch(*, actor: Actor, client_ids: Sequence[int] | None = None) -> int:
    """Queue the bulk switch of the eligible token clients (all of them, or those chosen)."""
    actor.require(Permission.manage_credentials)
    certificate = _office_certificate(actor)
    current = campaign(actor=actor)
    eligible = [r.client_id for r in current.rows if r.on_token and r.eligible]
    if client_ids is not None:
        eligible = [c for c in eligible if c in set(client_ids)]
    if not eligible:
        raise InvalidInput(Text("campaign.none_eligible"))
    payload = TokenSwitchPayload(office_id=actor.office_id, client_ids=tuple(eligible), credential_id=certificate)
    with session_scope(write=True) as session:
        job = start_job(
            session, actor, TOKEN_SWITCH, payload, action="campaign.switch",
            subject=Text("job.subject.clients", count=len(eligible)), clients=len(eligible),
        )  # fmt: skip
    return job.id


def _settle(session: Session, row: TokenMigration, link: Link | None, credential_id: int) -> bool:
    """After a kill: a client marked `switching` whose link already runs on the certificate is switched."""
    if link is not None and link.auth_method == AuthMethod.ksef_certificate and link.credential_id == credential_id:
        row.status, row.switching, row.switched_at = MigrationStatus.switched, False, row.switched_at or utcnow()
        session.add(row)
        return True
    return False


def switch_clients(
    *, actor: Actor, client_ids: Sequence[int], credential_id: int, progress: Progress = no_progress
) -> TokenSwitchResult:
    """The job body: one client after another, each verified first; what is done stays done on a rerun."""
    actor.require(Permission.manage_credentials)
    require_clients(actor, client_ids)  # re-checked when the job runs: another office's client is not found
    with session_scope() as session:
        credential_in_office(session, actor, credential_id)
    switched: list[int] = []
    failed: dict[int, str] = {}
    progress(0, len(client_ids), force=True)
    for done, client_id in enumerate(client_ids, start=1):
        with session_scope(write=True) as session:
            row = _migration(session, actor.office_id, client_id)
            link = active_link(session, client_id)
            if row.status == MigrationStatus.switched or _settle(session, row, link, credential_id):
                switched.append(client_id)
                progress(done, len(client_ids))
                continue
            if link is None or link.auth_method != AuthMethod.ksef_token:
                failed[client_id] = Text("campaign.not_on_token")
                progress(done, len(client_ids))
                continue
            token_id = link.credential_id
            row.switching, row.fallback_credential_id, row.updated_at = True, token_id, utcnow()
            session.add(row)
        request = LinkRequest(auth_method=AuthMethod.ksef_certificate, credential_id=credential_id)
        try:
            outcome = links.connect_client(actor=actor, client_id=client_id, request=request)
        except (InvalidInput, NotFound) as error:
            outcome = None
            failed[client_id] = error.message
        with session_scope(write=True) as session:
            row = _migration(session, actor.office_id, client_id)
            row.switching, row.updated_at = False, utcnow()
            if outcome is not None and outcome.ok:
                row.status, row.switched_at, row.message = MigrationStatus.switched, utcnow(), ""
                switched.append(client_id)
            elif outcome is not None:
                row.message = outcome.message[:500]  # the token link stayed as it was: rolled back by design
                failed[client_id] = outcome.message
            session.add(row)
            audit.record(session, actor, "campaign.switch_client", f"client:{client_id}", ok=client_id in switched)
        progress(done, len(client_ids), result=TokenSwitchResult(list(switched), dict(failed)))
    return TokenSwitchResult(switched, failed)


def restore_token(*, actor: Actor, client_id: int) -> str:
    """Go back to the token kept as the fallback (until the sunset), e.g. when the office certificate stops working
    for this client. Verified first like any switch: the certificate link stays unless the token works."""
    actor.require(Permission.manage_credentials)
    with session_scope() as session:
        row = session.exec(select(TokenMigration).where(TokenMigration.client_id == client_id)).first()
        if row is None or row.office_id != actor.office_id or row.fallback_credential_id is None:
            raise NotFound(Text("campaign.no_fallback"))
        token_id = row.fallback_credential_id
    if days_left() <= 0:
        raise InvalidInput(Text("campaign.after_sunset"))
    request = LinkRequest(auth_method=AuthMethod.ksef_token, credential_id=token_id)
    outcome = links.connect_client(actor=actor, client_id=client_id, request=request)
    with session_scope(write=True) as session:
        row = _migration(session, actor.office_id, client_id)
        if outcome.ok:
            row.status, row.switched_at, row.updated_at = MigrationStatus.rights_granted, None, utcnow()
            session.add(row)
        audit.record(session, actor, "campaign.restore_token", f"client:{client_id}", ok=outcome.ok)
    return outcome.status if outcome.ok else outcome.message
