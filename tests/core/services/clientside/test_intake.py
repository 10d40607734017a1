"""The intake service against the simulator: sign-in and lockout, push once, numbers and UPOs back, pull received
invoices gap-free with acknowledgement, every id of another client reads as not found, problems in the inbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

import ksef_spec
from core import db
from core.errors import AuthenticationFailed, InvalidInput, NotFound
from core.models import AuditEvent, IntakeToken, JobRun, Problem, UsageEvent
from core.services.clientside import intake, programs
from core.services.linking import credentials, links
from core.services.linking import keys as company_keys
from core.services.linking.links import LinkRequest
from core.services.sync.engine import sync_client
from core.types import AuthMethod, utcnow
from tests.clientside import send_pushed
from tests.simulated import seed_clients

SAMPLE = (ksef_spec.SAMPLES_DIR / "fa3" / "csharp-invoice-template-fa-3.xml").read_text(encoding="utf-8")
PASSWORD = "haslo-programu-1"


def invoice(nip: str, number: str) -> bytes:
    return SAMPLE.replace("#nip#", nip).replace("#invoice_number#", number).encode()


@pytest.fixture
def linked(sim, office):
    seeded = seed_clients(sim, office, ["no_invoices", "healthy"])
    for name in ("no_invoices", "healthy"):
        client_id = seeded.ids[name]
        credentials.add_ksef_token(actor=office.support, client_id=client_id, token=seeded.token(name))
        assert links.connect_client(actor=office.support, client_id=client_id,
                                    request=LinkRequest(AuthMethod.ksef_token)).ok  # fmt: skip
    return seeded


def _sign_in(office, client_id: int, name: str = "ERP") -> intake.Program:
    programs.add_program(actor=office.manager, client_id=client_id, name=name, password=PASSWORD)
    key = company_keys.get_company_key(actor=office.manager, client_id=client_id)
    issued = intake.sign_in(company_key=key, program=name, password=PASSWORD)
    return intake.authorize(issued.token)


def _count(model, *where) -> int:
    with db.session_scope() as session:
        return session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


def test_a_pushed_invoice_is_sent_once_and_its_number_and_upo_come_back(sim, office, linked):
    client_id, nip = linked.ids["no_invoices"], linked.nips["no_invoices"]
    program = _sign_in(office, client_id)
    first = intake.push(program, invoice(nip, "P/1"), idempotency_key="k1")
    assert first.created and first.document.status == "queued"
    again = intake.push(program, invoice(nip, "P/1"))  # the same content: the same document, nothing new queued
    assert not again.created and again.document.id == first.document.id
    assert intake.push(program, invoice(nip, "P/1x"), idempotency_key="k1").document.id == first.document.id
    assert _count(JobRun, JobRun.kind == "send_invoices") == 1
    send_pushed()
    done = intake.document(program, first.document.id)
    assert done.status == "accepted" and done.ksef_number and done.ksef_number.startswith(nip) and done.has_upo
    assert done.ksef_number.encode() in intake.upo(program, first.document.id)
    assert _count(UsageEvent, UsageEvent.client_id == client_id) == 1  # counted in the office's package, once
    assert [d.id for d in intake.documents(program)] == [first.document.id]
    with db.session_scope() as session:
        actors = set(session.execute(sa.select(AuditEvent.actor).where(AuditEvent.action == "intake.push")).scalars())
    assert actors == {f"program:{nip}/ERP"}


def test_a_burst_of_pushes_goes_to_ksef_in_one_job(sim, office, linked):
    client_id, nip = linked.ids["no_invoices"], linked.nips["no_invoices"]
    program = _sign_in(office, client_id)
    documents = [intake.push(program, invoice(nip, f"B/{n}")).document.id for n in range(1, 6)]
    assert _count(JobRun, JobRun.kind == "send_invoices") == 1  # one job, so one KSeF session
    send_pushed()
    assert {intake.document(program, d).status for d in documents} == {"accepted"}
    later = intake.push(program, invoice(nip, "B/6"))  # after the job ran: a job of its own
    assert _count(JobRun, JobRun.kind == "send_invoices") == 2
    send_pushed()
    assert intake.document(program, later.document.id).status == "accepted"


def test_bad_xml_and_another_seller_are_refused_and_shown_in_the_support_inbox(sim, office, linked):
    client_id, nip = linked.ids["no_invoices"], linked.nips["no_invoices"]
    program = _sign_in(office, client_id)
    with pytest.raises(InvalidInput):
        intake.push(program, b"<Faktura><nie-zamknieta></Faktura>")
    with pytest.raises(InvalidInput) as other:
        intake.push(program, invoice(linked.nips["healthy"], "X/1"))
    assert nip in str(other.value)
    with pytest.raises(InvalidInput):  # an external entity is never resolved
        intake.push(program, b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>')
    with db.session_scope() as session:
        problem = session.execute(sa.select(Problem).where(Problem.operation == "intake_push")).scalar_one()
    assert problem.status == "open" and problem.problem_class == "client_program" and problem.occurrences == 3
    assert "ERP" in problem.message
    intake.push(program, invoice(nip, "OK/1"))
    with db.session_scope() as session:
        assert session.get(Problem, problem.id).status == "closed"  # the next good push closes it
    assert _count(JobRun, JobRun.kind == "send_invoices") == 1


def test_another_clients_documents_and_invoices_read_as_not_found(sim, office, linked):
    own = _sign_in(office, linked.ids["no_invoices"])
    other = _sign_in(office, linked.ids["healthy"], name="Inny")
    theirs = intake.push(other, invoice(linked.nips["healthy"], "O/1")).document.id
    sync_client(actor=office.support, client_id=linked.ids["healthy"])
    their_received = intake.received(other).items
    assert their_received
    with pytest.raises(NotFound):
        intake.document(own, theirs)
    with pytest.raises(NotFound):
        intake.upo(own, theirs)
    with pytest.raises(NotFound):
        intake.received_xml(own, their_received[0].id)
    with pytest.raises(NotFound):
        intake.acknowledge(own, [their_received[0].id])
    assert intake.received(own, cursor=0).items == []
    assert intake.documents(own) == []


def test_received_invoices_are_pulled_without_gap_and_acknowledged_once(sim, office, linked):
    client_id = linked.ids["healthy"]
    program = _sign_in(office, client_id)
    sync_client(actor=office.support, client_id=client_id)
    seen: list[int] = []
    cursor = 0
    while True:
        page = intake.received(program, cursor=cursor, limit=2)
        if not page.items:
            break
        seen += [item.id for item in page.items]
        cursor = page.next_cursor
    assert seen and seen == sorted(set(seen))
    assert intake.received_xml(program, seen[0]).startswith(b"<")
    assert intake.acknowledge(program, seen[:1]) == 1
    assert intake.acknowledge(program, seen[:1]) == 0  # once
    assert [i.id for i in intake.received(program, cursor=0, limit=100).items] == seen[1:]
    assert _count(AuditEvent, AuditEvent.action == "intake.pull") >= 2


def test_wrong_passwords_lock_the_program_out_and_say_so_in_the_inbox(sim, office, linked):
    client_id = linked.ids["no_invoices"]
    view = programs.add_program(actor=office.manager, client_id=client_id, name="ERP", password=PASSWORD)
    key = company_keys.get_company_key(actor=office.manager, client_id=client_id)
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            intake.sign_in(company_key=key, program="ERP", password="zle-haslo")
    with pytest.raises(AuthenticationFailed) as locked:
        intake.sign_in(company_key=key, program="ERP", password=PASSWORD)  # even the right one, while locked
    assert "zablokowany" in str(locked.value)
    assert _count(Problem, Problem.operation == "intake_login", Problem.status == "open") == 1
    programs.reset_password(actor=office.support, program_id=view.id, password="nowe-haslo-12")
    assert intake.sign_in(company_key=key, program="ERP", password="nowe-haslo-12").token
    with pytest.raises(AuthenticationFailed):
        intake.sign_in(company_key="BR-TEST;ABC;1234567890", program="ERP", password="nowe-haslo-12")


def test_tokens_expire_and_die_with_a_removed_link(sim, office, linked):
    client_id = linked.ids["no_invoices"]
    program = _sign_in(office, client_id)
    key = company_keys.get_company_key(actor=office.manager, client_id=client_id)
    old = intake.sign_in(company_key=key, program="ERP", password=PASSWORD).token
    with db.session_scope(write=True) as session:
        session.execute(sa.update(IntakeToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    with pytest.raises(AuthenticationFailed) as expired:
        intake.authorize(old)
    assert "wygasł" in str(expired.value)
    with pytest.raises(AuthenticationFailed) as again:
        intake.authorize(old)  # an expired token is forgotten
    assert "nieznany" in str(again.value)
    with pytest.raises(AuthenticationFailed):
        intake.authorize("nieznany")
    fresh = intake.sign_in(company_key=key, program="ERP", password=PASSWORD).token
    intake.push(program, invoice(linked.nips["no_invoices"], "R/1"))
    programs.remove_program(actor=office.manager, program_id=program.id)
    with pytest.raises(AuthenticationFailed):
        intake.authorize(fresh)
    listed = programs.list_programs(actor=office.analyst, client_id=client_id)
    assert listed[0].removed_at is not None and listed[0].pushed == 1  # the history stays
