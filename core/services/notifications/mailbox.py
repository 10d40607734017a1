"""The demo's local inbox: the e-mails the office sent to the mail catcher that `make run` starts
(core/demo/mailcatcher.py), read back from the data folder so a newcomer sees what the console mails.

Shown only while the office's SMTP server is that catcher (loopback, the catcher's port), and only the messages sent
from the office's own sender address. Every e-mail of the console goes through notifications.delivery, so every one
of them is here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime

from core.security import Actor, Permission
from core.services.notifications.settings import smtp_config
from core.settings import get_settings

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_SHOWN = 100


@dataclass(frozen=True)
class CaughtMail:
    name: str  # the file's name: a stable id
    subject: str
    sender: str
    recipients: str
    sent_at: datetime | None
    body: str


def uses_local_catcher(office_id: int) -> bool:
    config = smtp_config(office_id)
    return config.host.strip().lower() in LOOPBACK and config.port == get_settings().mail_port


def _read(name: str, raw: bytes) -> CaughtMail:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    body_part = message.get_body(preferencelist=("plain",))
    body = body_part.get_content().replace("\r\n", "\n") if isinstance(body_part, EmailMessage) else ""
    try:
        sent_at = parsedate_to_datetime(str(message["Date"])) if message["Date"] else None
    except (TypeError, ValueError):
        sent_at = None
    recipients = str(message["To"] or message["X-Envelope-To"] or "")
    return CaughtMail(name, str(message["Subject"] or ""), str(message["From"] or ""), recipients, sent_at, body)


def caught_mail(*, actor: Actor, limit: int = MAX_SHOWN) -> list[CaughtMail] | None:
    """The newest e-mails the office sent to the local catcher; None when its SMTP server is not the catcher."""
    actor.require(Permission.manage_settings)
    if not uses_local_catcher(actor.office_id):
        return None
    sender = parseaddr(smtp_config(actor.office_id).sender)[1].lower()
    folder = get_settings().mailbox_dir
    if not folder.is_dir():
        return []
    found: list[CaughtMail] = []
    for path in sorted(folder.glob("*.eml"), reverse=True):  # names start with the UTC time: newest first
        mail = _read(path.name, path.read_bytes())
        if parseaddr(mail.sender)[1].lower() == sender:
            found.append(mail)
            if len(found) >= limit:
                break
    return found
