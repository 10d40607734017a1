"""core.services.linking.detail (the Klient page's link and history reads) and the refusals the page relies on:
a client without a link or of another office gets a ServiceError, never a raw KSeF failure."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import db
from core.errors import NotFound, NotLinked
from core.ksef.errors import KsefFailure
from core.models import ClientCreate, Link
from core.services import problems
from core.services.clients import register as clients
from core.services.linking import credentials, links, rights, selftest
from core.services.linking import detail as client_detail
from core.services.linking import keys as company_keys
from core.types import AuthMethod, ProblemClass, utcnow
from tests.conftest import make_office
from tests.factories import valid_nips


def _client(office, seed: int = 3) -> int:
    nip = valid_nips(1, seed=seed)[0]
    return clients.add_client(actor=office.manager, data=ClientCreate(nip=nip, name="Firma Testowa")).id


def _link(client_id: int, **values) -> None:
    with db.session_scope(write=True) as session:
        session.add(Link(client_id=client_id, environment="SIM", auth_method=AuthMethod.qualified_signature, **values))


def test_no_link_reads_as_none(office):
    assert client_detail.link_details(actor=office.analyst, client_id=_client(office)) is None


def test_link_details_and_the_reauthorization_warning(office):
    client_id = _client(office)
    now = utcnow()
    _link(client_id, reauth_due_at=now + timedelta(days=5), permissions=["InvoiceWrite", "InvoiceRead"])
    details = client_detail.link_details(actor=office.analyst, client_id=client_id)
    assert details is not None
    assert (details.auth_method, details.environment) == (AuthMethod.qualified_signature, "SIM")
    assert details.permissions == ["InvoiceRead", "InvoiceWrite"]
    assert details.reauth_state(now) == ""
    assert details.reauth_state(now + timedelta(days=3, hours=1)) == "soon"
    assert details.reauth_state(now + timedelta(days=6)) == "overdue"


def test_another_office_s_client_is_not_found(office):
    client_id = _client(office)
    other = make_office(name="Inne Biuro", nip="7740001454", account_id="BR-INNE", suffix="2")
    for call in (
        lambda: client_detail.link_details(actor=other.manager, client_id=client_id),
        lambda: client_detail.client_history(actor=other.manager, client_id=client_id),
        lambda: links.verify_link(actor=other.manager, client_id=client_id),
        lambda: links.unlink_client(actor=other.manager, client_id=client_id),
        lambda: rights.check_rights(actor=other.manager, client_id=client_id),
        lambda: selftest.run_self_test(actor=other.manager, client_id=client_id),
    ):
        with pytest.raises(NotFound):
            call()


def test_rights_and_self_test_refuse_a_client_without_a_link_in_polish(office):
    client_id = _client(office)
    for call in (
        lambda: rights.check_rights(actor=office.support, client_id=client_id),
        lambda: selftest.run_self_test(actor=office.support, client_id=client_id),
    ):
        with pytest.raises(NotLinked, match="nie jest połączony z KSeF"):
            call()


def test_history_lists_events_and_closed_problems_newest_first(office):
    client_id = _client(office)
    company_keys.verify_company_key(actor=office.support, client_id=client_id, key="zly;klucz")
    with db.session_scope(write=True) as session:
        failure = KsefFailure(ProblemClass.missing_rights, "Biuro nie ma uprawnienia InvoiceRead.")
        problems.record_failure(
            session, office_id=office.office_id, client_id=client_id, operation="link", failure=failure
        )
    with db.session_scope(write=True) as session:
        problems.resolve(session, client_id=client_id, operations=["link"])
    history = client_detail.client_history(actor=office.analyst, client_id=client_id)
    assert [(entry.kind, entry.action) for entry in history] == [
        ("problem", ProblemClass.missing_rights),
        ("event", "company_key.verify"),
        ("event", "client.add"),
    ]
    assert history[0].text == "Brak uprawnień: Biuro nie ma uprawnienia InvoiceRead. — kolejna próba udana"
    assert history[1].actor == "wsparcie" and history[1].details == {"ok": False, "failure": "malformed"}
    assert [entry.at for entry in history] == sorted((entry.at for entry in history), reverse=True)


def test_an_analyst_reads_credential_events_without_their_details(office):
    client_id = _client(office)
    nip = clients.get_client(actor=office.manager, client_id=client_id).nip
    token = f"20261102-EC-0123456789-ABCDEF0123-4F|nip-{nip}|" + "ab" * 32  # KSeF's token shape (issue 10 #8)
    credentials.add_ksef_token(actor=office.support, client_id=client_id, token=token, label="Token klienta")
    support_view = client_detail.client_history(actor=office.support, client_id=client_id)
    analyst_view = client_detail.client_history(actor=office.analyst, client_id=client_id)
    assert [e.action for e in analyst_view] == [e.action for e in support_view] == ["credential.add", "client.add"]
    assert support_view[0].details["kind"] == AuthMethod.ksef_token and analyst_view[0].details == {}
    assert analyst_view[1].details == support_view[1].details  # the client's own events keep theirs
