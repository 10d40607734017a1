"""E-mail notifications over real SMTP to a local aiosmtpd server: each event exactly once."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from core import db
from core.models import AuditEvent, ClientCreate, Invoice, NotificationLog, SmtpSettings, UsageEvent, User
from core.security import Actor
from core.services.clients import register as clients
from core.services.linking import credentials
from core.services.notifications import delivery as notification_delivery
from core.services.notifications import settings as notification_settings
from core.services.notifications.smtp import MailError
from core.services.usage.package import update_package
from core.services.usage.rollups import rebuild_rollup
from tests.factories import valid_nips


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for _, m in self.messages]


def _run(office) -> dict[str, int]:
    """The scheduled run, as the worker does it: the office's system actor."""
    return notification_delivery.run_notifications(actor=Actor.system("worker", office.office_id))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def configured(office, smtp):
    inbox, port = smtp
    notification_settings.update_smtp(
        actor=office.manager, host="127.0.0.1", port=port, security="none", sender="konsola@biuro.example.pl"
    )
    with db.session_scope(write=True) as session:
        session.execute(sa.update(User).where(User.username == "kierownik").values(email="kierownik@biuro.example.pl"))
    return inbox


def _use_package(office, used: int, limit: int) -> None:
    client = clients.add_client(actor=office.manager, data=ClientCreate(nip=valid_nips(1, seed=9)[0], name="A"))
    update_package(actor=office.manager, monthly_limit=limit, billing_day=1, policy="warn")
    now = datetime.now(UTC)
    with db.session_scope(write=True) as session:
        for _ in range(used):
            invoice = Invoice(client_id=client.id, subject_type="Subject2")
            session.add(invoice)
            session.flush()
            session.add(UsageEvent(office_id=office.office_id, client_id=client.id, invoice_id=invoice.id,
                                   kind="invoice_received", occurred_at=now))  # fmt: skip
    rebuild_rollup(now.date() - timedelta(days=1))


def test_the_manager_gets_the_80_percent_mail_exactly_once(office, configured):
    inbox = configured
    _use_package(office, used=8, limit=10)
    first = _run(office)
    second = _run(office)
    assert first["sent"] == 1 and second["sent"] == 0
    assert inbox.subjects() == ["Pakiet KSeF wykorzystany w 80%"]
    assert inbox.messages[0][0] == ["kierownik@biuro.example.pl"]
    log = notification_settings.sent_log(actor=office.manager)
    assert [(r.kind, r.status) for r in log] == [("package_80", "sent")]
    with db.session_scope() as session:  # the run that sent it is audited; the one with nothing to send is not
        runs = session.execute(sa.select(AuditEvent.actor, AuditEvent.details).where(
            AuditEvent.action == "notification.run")).all()  # fmt: skip
    assert [tuple(run) for run in runs] == [("worker", {"sent": 1, "failed": 0, "skipped": 0})]


def _certificate(days: int) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Certyfikat biura"),
                      x509.NameAttribute(NameOID.SERIAL_NUMBER, "TINPL-5265877635")])  # fmt: skip
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=300))
        .not_valid_after(now + timedelta(days=days)).sign(key, hashes.SHA256())
    )  # fmt: skip
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


def test_an_expiring_certificate_is_mailed_once_at_its_tightest_threshold(office, configured):
    inbox = configured
    certificate, key = _certificate(days=10)
    credentials.add_certificate(actor=office.manager, client_id=None, certificate=certificate, private_key=key)
    _run(office)
    _run(office)
    assert len(inbox.messages) == 1
    assert "wygasa" in inbox.subjects()[0]
    with db.session_scope() as session:
        logged = dict(session.execute(sa.select(NotificationLog.kind, NotificationLog.status)).all())
    assert logged == {"cert_expiring_14": "sent", "cert_expiring_30": "covered"}


def test_a_switched_off_kind_is_not_sent(office, configured):
    inbox = configured
    notification_settings.set_switch(actor=office.manager, kind="package_80", enabled=False)
    _use_package(office, used=9, limit=10)
    assert _run(office)["skipped"] >= 1
    assert inbox.messages == []


def test_a_failed_send_is_retried_and_then_sent_once(office, smtp):
    inbox, port = smtp
    notification_settings.update_smtp(
        actor=office.manager, host="127.0.0.1", port=_free_port(), security="none", sender="k@b.pl"
    )
    with db.session_scope(write=True) as session:
        session.execute(sa.update(User).where(User.username == "kierownik").values(email="kierownik@biuro.example.pl"))
    _use_package(office, used=10, limit=10)
    assert _run(office)["failed"] == 2  # 80 % and 100 %, server down
    notification_settings.update_smtp(
        actor=office.manager, host="127.0.0.1", port=port, security="none", sender="k@b.pl"
    )
    assert _run(office)["sent"] == 2
    assert _run(office)["sent"] == 0
    assert set(inbox.subjects()) == {"Pakiet KSeF wykorzystany w 100%", "Pakiet KSeF wykorzystany w 80%"}
    assert len(inbox.messages) == 2


def test_the_test_mail_goes_out_and_is_logged(office, configured):
    inbox = configured
    assert notification_delivery.send_test(actor=office.manager, to="ktos@biuro.example.pl") == "ktos@biuro.example.pl"
    assert inbox.subjects() == ["KSeF Office Console: wiadomość testowa"]
    assert notification_settings.sent_log(actor=office.manager)[0].status == "sent"


def test_a_server_without_login_support_gives_a_polish_error(office, configured):
    view = notification_settings.smtp_settings(actor=office.manager)
    notification_settings.update_smtp(actor=office.manager, host=view.host, port=view.port, security="none",
                              sender=view.sender, username="biuro", password="tajne-haslo")  # fmt: skip
    with pytest.raises(MailError, match="Nie udało się wysłać"):
        notification_delivery.send_test(actor=office.manager, to="ktos@biuro.example.pl")


def test_the_smtp_password_is_sealed_kept_and_removable(office, configured):
    view = notification_settings.smtp_settings(actor=office.manager)
    arguments = {"host": view.host, "port": view.port, "security": "none", "sender": view.sender}
    notification_settings.update_smtp(actor=office.manager, **arguments, password="tajne-haslo")
    with db.session_scope() as session:
        blob = session.execute(sa.select(SmtpSettings.password_ciphertext)).scalar_one()
    assert blob.startswith(b"k1") and b"tajne-haslo" not in blob
    assert notification_settings.update_smtp(actor=office.manager, **arguments, password=None).has_password
    assert not notification_settings.update_smtp(actor=office.manager, **arguments, password="").has_password


def test_a_certificate_that_fails_to_log_in_is_mailed_once_as_uploaded_wrongly_or_invalid(office, configured, sim):
    from core.models import KsefSession
    from core.services.linking import credentials, links
    from core.services.linking.links import LinkRequest
    from tests.simulated import seed_clients

    inbox = configured
    seeded = seed_clients(sim, office, ["healthy"])
    client_id = seeded.ids["healthy"]
    material = sim.create_certificate(subject_nip=seeded.nips["healthy"], common_name="Klient")
    credentials.add_certificate(
        actor=office.support, client_id=client_id,
        certificate=material["certificatePem"].encode(), private_key=material["privateKeyPem"].encode(),
    )  # fmt: skip
    assert links.connect_client(
        actor=office.support, client_id=client_id, request=LinkRequest(auth_method="ksef_certificate")
    ).ok
    sim.revoke_certificate(material["serialNumber"])
    with db.session_scope(write=True) as session:
        session.execute(sa.delete(KsefSession))
    assert not links.verify_link(actor=office.support, client_id=client_id).ok
    _run(office)
    _run(office)
    (mail,) = [m for _, m in inbox.messages if "Uwierzytelnienie w KSeF" in str(m["Subject"])]
    assert "wgrany niepoprawnie" in mail.get_body().get_content()
