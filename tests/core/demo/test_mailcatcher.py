"""The demo's local inbox (issue 11 §7): `make run`'s mail catcher keeps every e-mail the console sends, and the
notifications settings read them back; an office without an SMTP server logs no failure every 15 minutes."""

from __future__ import annotations

import sqlalchemy as sa

from core import db
from core.models import NotificationLog
from core.security import Actor
from core.services.notifications import delivery, mailbox
from core.services.notifications import settings as notification_settings
from core.texts import Text
from tests import seeding
from tests.core.services.notifications.test_notifications import _use_package
from tests.mailcatcher import catcher  # noqa: F401 - the fixture


def test_every_mail_the_console_sends_is_in_the_local_inbox(office, catcher):  # noqa: F811 - the fixture
    notification_settings.update_smtp(
        actor=office.manager, host="127.0.0.1", port=catcher, security="none", sender="konsola@biuro.example.pl"
    )
    assert mailbox.caught_mail(actor=office.manager) == []
    delivery.send_test(actor=office.manager, to="ktos@biuro.example.pl")
    notice = delivery.Notice("invitation", "invitation:1", "Zaproszenie do konsoli", "Dzień dobry,\nzapraszamy.")
    assert delivery.deliver(office.office_id, notice, ["klient@firma.example.pl"]) == ("sent", "")
    newest, test_mail = mailbox.caught_mail(actor=office.manager)
    assert (newest.subject, newest.recipients) == ("Zaproszenie do konsoli", "klient@firma.example.pl")
    assert newest.body.strip() == "Dzień dobry,\nzapraszamy." and newest.sent_at is not None
    assert (test_mail.subject, test_mail.recipients) == (Text("mail.test.subject"), "ktos@biuro.example.pl")
    # Another office sending to the same catcher sees only its own e-mails.
    notification_settings.update_smtp(
        actor=office.manager, host="127.0.0.1", port=catcher, security="none", sender="inne@biuro.example.pl"
    )
    assert mailbox.caught_mail(actor=office.manager) == []
    # A real server: nothing is kept locally, so there is no local inbox to show.
    notification_settings.update_smtp(
        actor=office.manager, host="smtp.example.pl", port=587, security="starttls", sender="k@biuro.example.pl"
    )
    assert mailbox.caught_mail(actor=office.manager) is None


def test_without_an_smtp_server_notices_wait_instead_of_failing_every_run(office):
    seeding.add_clients(office, 1)
    _use_package(office, used=9, limit=10)
    for _ in range(3):  # the scheduled runs, every 15 minutes
        counts = delivery.run_notifications(actor=Actor.system("worker", office.office_id))
        assert counts["failed"] == 0 and counts["skipped"] >= 1
    with db.session_scope() as session:
        assert session.execute(sa.select(NotificationLog)).all() == []
