"""The token campaign against the simulator (issue 12 #5): 50 token clients, 10 of which never granted the office
its rights. The 40 end linked on the office certificate with their token kept; the 10 stay on tokens and get their
instruction by e-mail once. A worker killed mid-switch leaves every client with a working link, and the job resumes."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

import core.jobs.tasks  # noqa: F401 - binds the job bodies
from core import db
from core.jobs import queue
from core.jobs.worker import drain
from core.models import Client, Credential, JobRun, Link, TokenMigration
from core.services.campaign import letters
from core.services.campaign import tokens as campaign
from core.services.linking import credentials, links
from core.services.notifications import settings as notification_settings
from core.types import AuthMethod, LinkStatus, MigrationStatus
from simulator.testing import free_port
from tests.linking import TOKEN, office_certificate
from tests.simulated import seed_clients


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def inbox(office):
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    notification_settings.update_smtp(
        actor=office.manager, host="127.0.0.1", port=controller.port, security="none", sender="biuro@example.pl"
    )
    yield box
    controller.stop()


def token_office(sim, office, granted: int, missing: int):
    """`granted` clients that gave the office its rights and `missing` that did not; all linked by their own token
    (the missing ones by a fresh token with the invoice rights), each with an e-mail address."""
    seeded = seed_clients(sim, office, ["healthy"] * granted + ["rights_missing"] * missing)
    certificate = office_certificate(seeded)
    for name, client_id in seeded.ids.items():
        token = seeded.token(name)
        if name.startswith("rights_missing"):
            token = sim.create_token(seeded.nips[name], ["InvoiceRead", "InvoiceWrite"])["token"]
        credentials.add_ksef_token(actor=office.support, client_id=client_id, token=token)
    with db.session_scope(write=True) as session:
        for name, client_id in seeded.ids.items():
            session.execute(sa.update(Client).where(Client.id == client_id).values(email=f"{name}@firma.example.pl"))
    result = links.bulk_connect(actor=office.support, client_ids=list(seeded.ids.values()), request=TOKEN)
    assert not result.failed, result
    return seeded, certificate


def _links() -> dict[int, tuple[str, int]]:
    with db.session_scope() as session:
        rows = session.execute(sa.select(Link.client_id, Link.auth_method, Link.credential_id).where(
            Link.unlinked_at.is_(None))).all()  # fmt: skip
    return {client_id: (method, credential) for client_id, method, credential in rows}


def test_fifty_token_clients_forty_switch_ten_get_their_instruction_once(sim, office, inbox):
    seeded, certificate = token_office(sim, office, granted=40, missing=10)
    manager = office.manager
    before = campaign.campaign(actor=manager)
    assert (before.remaining, before.eligible) == (50, 0)

    checked = campaign.check_rights(actor=manager)
    assert (checked.remaining, checked.eligible) == (50, 40)
    lacking = {seeded.ids[n] for n in seeded.ids if n.startswith("rights_missing")}
    assert {r.client_id for r in checked.rows if not r.eligible} == lacking
    assert all("InvoiceRead" in r.message for r in checked.rows if r.client_id in lacking)

    tokens_before = {cid: cred for cid, (_m, cred) in _links().items()}
    job_id = campaign.start_switch(actor=manager)
    drain("test-worker")
    assert queue.get_job(job_id).status == "done"

    after = campaign.campaign(actor=manager)
    assert (after.remaining, after.eligible, after.switched) == (10, 0, 40)
    current = _links()
    for client_id in seeded.ids.values():
        method, credential = current[client_id]
        if client_id in lacking:
            assert (method, credential) == (AuthMethod.ksef_token, tokens_before[client_id])
        else:
            assert (method, credential) == (AuthMethod.ksef_certificate, certificate)
    with db.session_scope() as session:
        statuses = dict(session.execute(sa.select(Client.id, Client.link_status)).all())
        migrations = {m.client_id: m for m in session.execute(sa.select(TokenMigration)).scalars()}
        kept = session.execute(
            sa.select(sa.func.count()).select_from(Credential).where(
                Credential.kind == AuthMethod.ksef_token, Credential.revoked_at.is_(None))
        ).scalar_one()  # fmt: skip
    assert set(statuses.values()) == {LinkStatus.linked}
    assert kept == 50  # every token is kept as the fallback until the sunset
    switched = [m for m in migrations.values() if m.status == MigrationStatus.switched]
    assert len(switched) == 40 and all(m.fallback_credential_id == tokens_before[m.client_id] for m in switched)

    sent = letters.send_instructions(actor=manager)
    assert sorted(sent.sent) == sorted(lacking) and not sent.failed and not sent.no_email
    again = letters.send_instructions(actor=manager)
    assert again.sent == [] and sorted(again.already) == sorted(lacking)
    assert len(inbox.messages) == 10  # once each
    recipients = sorted(rcpt[0] for rcpt, _m in inbox.messages)
    assert recipients == sorted(f"rights_missing{n if n > 1 else ''}@firma.example.pl" for n in range(1, 11))
    body = inbox.messages[0][1].get_body().get_content()
    assert "5265877635" in body and "Nadaj uprawnienia podmiotowi" in body and "31.12.2026" in body
    final = campaign.campaign(actor=manager)
    assert {r.status for r in final.rows if r.on_token} == {MigrationStatus.instruction_sent}
    assert final.summary()["remaining"] == 10

    pdf = letters.letter_pdf(actor=manager, client_id=sorted(lacking)[0])
    assert pdf.startswith(b"%PDF")


def test_a_worker_killed_mid_switch_leaves_every_client_working_and_the_job_resumes(sim, office):
    seeded, _certificate = token_office(sim, office, granted=12, missing=0)
    campaign.check_rights(actor=office.manager)
    job_id = campaign.start_switch(actor=office.manager)
    sim.set_faults(latencyMs=150)  # slow enough to kill the worker half-way
    worker = subprocess.Popen(
        [sys.executable, "-m", "core.jobs.worker", "--concurrency", "1", "--no-scheduler"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while campaign.campaign(actor=office.manager).switched < 3:
            assert time.monotonic() < deadline and worker.poll() is None, "the worker never switched anyone"
            time.sleep(0.2)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    sim.clear_faults()
    middle = campaign.campaign(actor=office.manager)
    assert 3 <= middle.switched < 12, "killed too late to prove anything"
    # No client is without a working credential: each link is its token or the verified office certificate.
    for client_id in seeded.ids.values():
        assert links.verify_link(actor=office.support, client_id=client_id).status == LinkStatus.linked

    with db.session_scope(write=True) as session:  # the lease of the dead worker runs out
        session.execute(sa.update(JobRun).where(JobRun.id == job_id).values(lease_expires_at=sa.func.now()))
    time.sleep(1.1)
    queue.reap_expired()
    drain("test-worker")
    assert queue.get_job(job_id).status == "done"
    done = campaign.campaign(actor=office.manager)
    assert (done.remaining, done.switched) == (0, 12)
    assert {m for m, _c in _links().values()} == {AuthMethod.ksef_certificate}


def test_a_switched_client_goes_back_to_its_kept_token_only_when_the_token_works(sim, office):
    seeded, certificate = token_office(sim, office, granted=1, missing=0)
    client_id = seeded.ids["healthy"]
    token_id = _links()[client_id][1]
    campaign.check_rights(actor=office.manager)
    assert not campaign.switch_clients(actor=office.manager, client_ids=[client_id], credential_id=certificate).failed
    assert _links()[client_id] == (AuthMethod.ksef_certificate, certificate)

    sim.revoke_all_tokens(seeded.nips["healthy"])  # the kept token no longer works: the certificate link stays
    assert "bez zmian" in campaign.restore_token(actor=office.manager, client_id=client_id)
    assert _links()[client_id] == (AuthMethod.ksef_certificate, certificate)

    fresh = credentials.add_ksef_token(
        actor=office.support,
        client_id=client_id,
        token=sim.create_token(seeded.nips["healthy"], ["InvoiceRead"])["token"],
    )
    with db.session_scope(write=True) as session:
        session.execute(sa.update(TokenMigration).values(fallback_credential_id=fresh.id))
    assert campaign.restore_token(actor=office.manager, client_id=client_id) == LinkStatus.linked
    assert _links()[client_id] == (AuthMethod.ksef_token, fresh.id) and token_id != fresh.id
    assert campaign.campaign(actor=office.manager).remaining == 1


def test_the_switch_and_an_enrollment_work_on_both_databases(sim, any_office):
    from core.services.certificates import enrollment

    _seeded, certificate = token_office(sim, any_office, granted=4, missing=2)
    checked = campaign.check_rights(actor=any_office.manager)
    assert (checked.remaining, checked.eligible) == (6, 4)
    job_id = campaign.start_switch(actor=any_office.manager)
    drain("test-worker")
    assert queue.get_job(job_id).status == "done"
    assert campaign.campaign(actor=any_office.manager).summary()["remaining"] == 2
    started = enrollment.enroll(actor=any_office.manager, name="Certyfikat na obu bazach")
    drain("test-worker")
    (done,) = [e for e in enrollment.list_enrollments(actor=any_office.manager) if e.id == started.id]
    assert done.status == "active" and done.credential_id and certificate != done.credential_id
