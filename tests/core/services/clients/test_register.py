import pytest
import sqlalchemy as sa

from core import db
from core.errors import Conflict, InvalidInput, PermissionDenied
from core.ids import parse_company_key
from core.models import AuditEvent, ClientCreate, ClientUpdate, CompanyKey
from core.services.clients import register as clients
from tests.factories import valid_nips

NIPS = valid_nips(5)


def test_add_client_validates_and_issues_a_company_key(office):
    client = clients.add_client(
        actor=office.support, data=ClientCreate(nip=f"PL{NIPS[0]}", name="  Piekarnia   Nowak ")
    )
    assert client.nip == NIPS[0] and client.name == "Piekarnia Nowak" and client.environment == "SIM"
    assert client.link_status == "not_linked"
    with db.session_scope() as session:
        key = session.exec(sa.select(CompanyKey).where(CompanyKey.client_id == client.id)).scalar_one()
        assert key.revoked_at is None and len(key.company_id) == 8
        parse_company_key(f"BR-TEST;{key.company_id};{client.nip}")
        assert (
            session.exec(sa.select(AuditEvent.action).order_by(AuditEvent.id.desc())).scalars().first() == "client.add"
        )


def test_every_problem_is_listed_in_polish(office):
    with pytest.raises(InvalidInput) as error:
        clients.add_client(
            actor=office.manager, data=ClientCreate(nip="1234567890", name="", email="x@", environment="mars")
        )
    assert error.value.problems == [
        "NIP 1234567890 ma błędną sumę kontrolną",
        "nazwa firmy jest wymagana",
        "adres e-mail 'x@' jest niepoprawny",
        "środowisko 'mars' jest nieznane (dozwolone: PROD, DEMO, TEST, SIM)",
    ]


def test_duplicates_are_refused(office):
    clients.add_client(actor=office.manager, data=ClientCreate(nip=NIPS[0], name="A"))
    with pytest.raises(Conflict, match=f"Klient z NIP {NIPS[0]} już jest w rejestrze \\(A\\)"):
        clients.add_client(actor=office.manager, data=ClientCreate(nip=NIPS[0], name="B"))


def test_analyst_cannot_change_the_register_but_can_read_it(office):
    with pytest.raises(PermissionDenied):
        clients.add_client(actor=office.analyst, data=ClientCreate(nip=NIPS[0], name="A"))
    assert clients.list_clients(actor=office.analyst).total == 0


def test_only_a_manager_archives(office):
    client = clients.add_client(actor=office.manager, data=ClientCreate(nip=NIPS[1], name="B"))
    with pytest.raises(PermissionDenied):
        clients.archive_client(actor=office.support, client_id=client.id)
    archived = clients.archive_client(actor=office.manager, client_id=client.id)
    assert archived.archived_at is not None and archived.link_status == "unlinked"
    assert clients.list_clients(actor=office.manager).total == 0
    assert clients.list_clients(actor=office.manager, include_archived=True).total == 1


def test_edit_keeps_the_nip_and_checks_fields(office):
    client = clients.add_client(actor=office.manager, data=ClientCreate(nip=NIPS[2], name="C"))
    edited = clients.update_client(
        actor=office.support, client_id=client.id, data=ClientUpdate(name="C2", environment="prod")
    )
    assert (edited.name, edited.environment, edited.nip) == ("C2", "PROD", NIPS[2])
    with pytest.raises(InvalidInput):
        clients.update_client(actor=office.support, client_id=client.id, data=ClientUpdate(email="zly"))


def test_list_filters(office):
    for nip, name in zip(NIPS[:3], ("Alfa", "Beta", "Gamma"), strict=True):
        clients.add_client(actor=office.manager, data=ClientCreate(nip=nip, name=name))
    assert [c.name for c in clients.list_clients(actor=office.manager, search="et").items] == ["Beta"]
    assert clients.list_clients(actor=office.manager, search=NIPS[2][:6]).items[0].name == "Gamma"
    page = clients.list_clients(actor=office.manager, limit=2, offset=1)
    assert page.total == 3 and [c.name for c in page.items] == ["Beta", "Gamma"]
    assert clients.list_clients(actor=office.manager, link_statuses=["linked"]).total == 0


def test_another_offices_client_is_not_found(office):
    from core.errors import NotFound
    from tests.conftest import make_office

    other = make_office(name="Inne", nip=NIPS[4], account_id="BR-OTHER", suffix="2")
    client = clients.add_client(actor=office.manager, data=ClientCreate(nip=NIPS[3], name="D"))
    with pytest.raises(NotFound):
        clients.get_client(actor=other.manager, client_id=client.id)
