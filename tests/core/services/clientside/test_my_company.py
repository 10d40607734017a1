"""Moja firma: a client user reaches only its company, sees documents and sends only when the office allows it, and
what it sends counts in the office's package attributed to its client."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core import db
from core.errors import NotFound, PermissionDenied
from core.jobs.worker import drain
from core.models import AuditEvent, Invoice, UsageEvent
from core.services import users
from core.services.clientside import access, invitations, my_company
from core.services.sync.engine import sync_client
from tests.clientside import invoice


@pytest.fixture
def client_user(office, inbox, linked):
    invitations.invite(actor=office.manager, client_id=linked.other_client_id, email="jan@firma.pl")
    invitations.activate(token=inbox.last_token(), username="jan.klient", password="dobre-haslo-1")
    return users.authenticate(username="jan.klient", password="dobre-haslo-1")


def test_nothing_is_allowed_until_the_office_allows_it_and_each_change_is_audited(office, linked, client_user):
    view = my_company.overview(actor=client_user)
    assert (view.client_id, view.nip) == (linked.other_client_id, linked.other_nip)
    assert not (view.access.view_documents or view.access.send_invoices or view.access.authenticate_link)
    with pytest.raises(PermissionDenied):
        my_company.documents(actor=client_user)
    with pytest.raises(PermissionDenied):
        my_company.send(actor=client_user, files=[("a.xml", invoice(linked.other_nip, "K/1"))])
    with pytest.raises(PermissionDenied):
        access.set_access(actor=office.analyst, client_id=linked.other_client_id, view_documents=True)
    access.set_access(actor=office.support, client_id=linked.other_client_id, view_documents=True)
    with db.session_scope() as session:
        (details,) = session.execute(
            sa.select(AuditEvent.details).where(AuditEvent.action == "client_access.set")
        ).scalars()
    assert details == {"changes": {"view_documents": [False, True]}}


def test_a_client_user_sees_only_its_own_documents(office, linked, client_user):
    access.set_access(actor=office.manager, client_id=linked.other_client_id, view_documents=True)
    access.set_access(actor=office.manager, client_id=linked.client_id, view_documents=True)
    sync_client(actor=office.support, client_id=linked.other_client_id)
    page = my_company.documents(actor=client_user)
    assert page.total and {row.client_id for row in page.items} == {linked.other_client_id}
    with db.session_scope() as session:
        theirs = Invoice(client_id=linked.client_id, subject_type="Subject2", status="received")
        session.add(theirs)
        session.flush()
        their_id = theirs.id
    with pytest.raises(NotFound):
        my_company.upo(actor=client_user, invoice_id=their_id)
    with pytest.raises(NotFound):
        my_company.invoice_xml(actor=client_user, invoice_id=their_id)
    with pytest.raises(PermissionDenied):  # office services refuse a client user outright
        from core.services import invoices

        invoices.list_invoices(actor=client_user)


def test_what_a_client_sends_counts_in_the_office_package_for_that_client(office, linked, client_user):
    access.set_access(actor=office.manager, client_id=linked.other_client_id, view_documents=True, send_invoices=True)
    batch = my_company.send(actor=client_user, files=[("a.xml", invoice(linked.other_nip, "K/1"))])
    assert batch.rejected == {} and len(batch.invoice_ids) == 1
    drain()
    (row,) = [
        r for r in my_company.documents(actor=client_user, subject_type="Subject1").items if r.file_name == "a.xml"
    ]
    assert row.status == "accepted" and row.has_upo
    assert row.ksef_number.encode() in my_company.upo(actor=client_user, invoice_id=row.id)[1]
    with db.session_scope() as session:
        usage = session.execute(
            sa.select(UsageEvent.office_id, UsageEvent.client_id).where(UsageEvent.invoice_id == row.id)
        ).all()
        actors = set(session.execute(sa.select(AuditEvent.actor).where(AuditEvent.action == "invoice.queue")).scalars())
    assert usage == [(office.office_id, linked.other_client_id)]
    assert actors == {"client:jan.klient"}


def test_the_client_authenticates_its_own_link_by_signature_only_when_allowed(office, linked, client_user):
    from core.services.linking import detail

    with pytest.raises(PermissionDenied):
        my_company.start_signature(actor=client_user, method="qualified_signature")
    access.set_access(actor=office.manager, client_id=linked.other_client_id, authenticate_link=True)
    prepared = my_company.start_signature(actor=client_user, method="qualified_signature")
    signed = my_company.sign_in_simulator(actor=client_user, xml=prepared.xml)  # the company's own (test) seal
    outcome = my_company.complete_signature(actor=client_user, method="qualified_signature", signed_xml=signed)
    assert outcome.ok, outcome
    link = detail.link_details(actor=office.analyst, client_id=linked.other_client_id)
    assert link.auth_method == "qualified_signature"
    with db.session_scope() as session:
        actors = set(
            session.execute(sa.select(AuditEvent.actor).where(AuditEvent.action == "signature.complete")).scalars()
        )
    assert actors == {"client:jan.klient"}
