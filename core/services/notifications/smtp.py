"""E-mail over SMTP (plain, STARTTLS or TLS). The password is opened from the vault for one connection only."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from core.errors import ExternalFailure
from core.texts import Text

SMTP_TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str  # none | starttls | tls
    sender: str
    username: str = ""
    password: str = field(default="", repr=False)


class MailError(ExternalFailure):
    """Sending failed; the message names the cause without the password."""


def build_message(config: SmtpConfig, recipients: list[str], subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = config.sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=config.sender.split("@")[-1] or "localhost")
    message.set_content(body)
    return message


def send_mail(config: SmtpConfig, recipients: list[str], subject: str, body: str) -> None:
    if not config.host or not config.sender:
        raise MailError(Text("mail.not_configured"))
    if not recipients:
        raise MailError(Text("mail.no_recipients"))
    message = build_message(config, recipients, subject, body)
    context = ssl.create_default_context()
    try:
        if config.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                config.host, config.port, timeout=SMTP_TIMEOUT_SECONDS, context=context
            )
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=SMTP_TIMEOUT_SECONDS)
        with client:
            if config.security == "starttls":
                client.starttls(context=context)
            if config.username:
                client.login(config.username, config.password)
            client.send_message(message)
    except smtplib.SMTPAuthenticationError:
        raise MailError(Text("mail.login_refused")) from None
    except (smtplib.SMTPException, OSError) as error:
        raise MailError(Text("mail.failed", error=f"{type(error).__name__}: {error}")) from None
