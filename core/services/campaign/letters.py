"""The per-client instruction of the token campaign: what to grant, to which identifier, in which KSeF application,
and by when — sent once by e-mail through the notifications (`delivery.deliver`) or downloaded as a PDF letter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from core import audit
from core.db import session_scope
from core.errors import NotFound
from core.formatting import format_date
from core.models import Link, Office, TokenMigration
from core.security import Actor, Permission
from core.services.campaign.tokens import _migration, campaign
from core.services.invoice_view.pdf import FONT, FONTS
from core.services.linking.rights import permission_name
from core.services.linking.status import READ, WRITE, active_link
from core.services.notifications import delivery
from core.services.notifications.rules import TOKEN_SUNSET, Notice
from core.services.scope import client_in_office, require_clients
from core.texts import Joined, Text
from core.types import MigrationStatus, utcnow

KIND = "token_instruction"  # the notification log's kind of these e-mails


@dataclass(frozen=True)
class Letter:
    client_id: int
    email: str
    subject: str
    body: str


@dataclass(frozen=True)
class SentInstructions:
    sent: list[int]
    already: list[int]  # sent before: each client gets the instruction once
    no_email: list[int]
    failed: dict[int, str]

    def summary(self) -> dict[str, object]:
        return {
            "sent": len(self.sent),
            "already": len(self.already),
            "no_email": len(self.no_email),
            "failed": len(self.failed),
        }


def letter(*, actor: Actor, client_id: int) -> Letter:
    """The instruction for one client, in Polish (the client reads it in the KSeF taxpayer application's language)."""
    actor.require(Permission.view_secrets_metadata)
    with session_scope() as session:
        client = client_in_office(session, actor, client_id)
        office = session.get(Office, actor.office_id)
        if office is None:
            raise NotFound(Text("client.not_found", id=client_id))
        link: Link | None = active_link(session, client_id)
        needed = [READ] + ([WRITE] if link is not None and link.send_enabled else [])
        rights = Joined([Text("rights.instruction.item", name=permission_name(p)) for p in needed], "\n")
        values = {
            "office": office.name, "office_nip": office.nip, "client": client.name, "client_nip": client.nip,
            "sunset": format_date(TOKEN_SUNSET),
        }  # fmt: skip
        subject = Text("campaign.letter.subject", **values)
        body = Text("campaign.letter.body", rights=rights, **values)
        return Letter(client_id, client.email, subject.render("pl"), body.render("pl"))


def send_instructions(*, actor: Actor, client_ids: Sequence[int] | None = None) -> SentInstructions:
    """E-mail the instruction to every token client the office certificate cannot serve yet — once per client."""
    actor.require(Permission.manage_credentials)
    rows = [r for r in campaign(actor=actor).rows if r.on_token and not r.eligible]
    if client_ids is not None:
        chosen = set(require_clients(actor, client_ids))  # another office's id is not found, never skipped
        rows = [r for r in rows if r.client_id in chosen]
    result = SentInstructions([], [], [], {})
    for row in rows:
        if not row.email:
            result.no_email.append(row.client_id)
            continue
        found = letter(actor=actor, client_id=row.client_id)
        notice = Notice(KIND, f"{KIND}:{row.client_id}", found.subject, found.body)
        status, error = delivery.deliver(actor.office_id, notice, [found.email])
        if status == "duplicate":
            result.already.append(row.client_id)
        elif status == "sent":
            result.sent.append(row.client_id)
        else:
            result.failed[row.client_id] = error or status
            continue
        with session_scope(write=True) as session:
            migration: TokenMigration = _migration(session, actor.office_id, row.client_id)
            if migration.status == MigrationStatus.not_contacted:
                migration.status = MigrationStatus.instruction_sent
            migration.instruction_sent_at = migration.instruction_sent_at or utcnow()
            session.add(migration)
    with session_scope(write=True) as session:
        audit.record(session, actor, "campaign.instructions", f"office:{actor.office_id}", **result.summary())
    return result


def letter_pdf(*, actor: Actor, client_id: int) -> bytes:
    """The instruction as an A4 letter (DejaVu Sans embedded, so Polish letters print everywhere)."""
    found = letter(actor=actor, client_id=client_id)
    pdf = FPDF(format="A4")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(found.subject)
    pdf.set_creator("KSeF Office Console")
    pdf.add_page()
    pdf.set_font(FONT, "B", 13)
    pdf.multi_cell(0, 7, found.subject, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(0, 5.5, found.body, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    with session_scope(write=True) as session:
        audit.record(session, actor, "campaign.letter_pdf", f"client:{client_id}")
    return bytes(pdf.output())
