"""The Połącz firmy picker's and the token sunset's queries (issue 13 §3): "choose every client matching" is one id
query in the database, only the chosen clients' rows are read, and the clients still on tokens are counted and
limited in the database — none of them reads the whole register."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from core import db
from core.errors import NotFound, PermissionDenied
from core.models import Client, Link
from core.security import Actor
from core.services import overview
from core.services.clients import register as clients
from core.services.overview import ClientTableFilter
from core.types import AuthMethod, KsefEnvironment, LinkStatus, Role
from tests import seeding
from tests.conftest import make_office


def _bulk_clients(office_id: int, count: int, nip_base: int = 1_000_000_000) -> list[int]:
    now = datetime.now(UTC)
    rows = [
        {
            "office_id": office_id, "nip": f"{nip_base + i:010d}", "name": f"Masowa {i:05d}", "email": "",
            "erp_id": "", "environment": "SIM", "notes": "", "link_status": "not_linked", "created_at": now,
            "updated_at": now,
        }
        for i in range(count)
    ]  # fmt: skip
    with db.session_scope(write=True) as session:
        session.execute(sa.insert(Client), rows)
        found = session.execute(sa.select(Client.id).where(Client.office_id == office_id).order_by(Client.id))
        return [int(i) for i in found.scalars()]


def _link(client_id: int, method: str, *, unlinked: bool = False) -> None:
    with db.session_scope(write=True) as session:
        session.add(
            Link(
                client_id=client_id, environment=KsefEnvironment.SIM, auth_method=method,
                unlinked_at=datetime.now(UTC) if unlinked else None,
            )
        )  # fmt: skip


def test_every_matching_id_in_the_tables_order_and_only_the_offices(any_office):
    ids = seeding.add_clients(any_office, 5)
    seeding.set_link_status(ids[1], LinkStatus.error)
    seeding.set_link_status(ids[3], LinkStatus.degraded)
    clients.archive_client(actor=any_office.manager, client_id=ids[4])
    other = make_office(name="Biuro Obce", nip="7740001454", account_id="BR-OBCE", suffix="-obcy")
    seeding.add_clients(other, 3, seed=7, prefix="Firma")

    assert overview.client_ids(actor=any_office.support, chosen=ClientTableFilter()) == ids[:4]
    problems = ClientTableFilter(link_statuses=(LinkStatus.error, LinkStatus.degraded))
    assert overview.client_ids(actor=any_office.manager, chosen=problems) == [ids[1], ids[3]]
    assert overview.client_ids(actor=any_office.manager, chosen=ClientTableFilter(search="ma 03")) == [ids[2]]
    assert overview.client_ids(actor=any_office.manager, chosen=ClientTableFilter(include_archived=True)) == ids


def test_only_the_chosen_rows_in_the_order_chosen_across_chunks(any_office):
    ids = _bulk_clients(any_office.office_id, overview.CHUNK * 2 + 17)
    wanted = ids[::-1]
    chosen = overview.client_choices(actor=any_office.support, client_ids=wanted)
    assert [row.id for row in chosen] == wanted
    assert chosen[0].name == f"Masowa {len(ids) - 1:05d}" and chosen[0].link_status == LinkStatus.not_linked
    assert overview.client_choices(actor=any_office.support, client_ids=[]) == []


def test_another_offices_client_among_the_chosen_is_not_found(office):
    mine = seeding.add_clients(office, 2)
    other = make_office(name="Biuro Obce", nip="7740001454", account_id="BR-OBCE", suffix="-obcy")
    (foreign,) = seeding.add_clients(other, 1, seed=7)
    with pytest.raises(NotFound):
        overview.client_choices(actor=office.manager, client_ids=[*mine, foreign])


def test_a_client_user_holds_no_office_permission_and_gets_nothing(office):
    (client_id,) = seeding.add_clients(office, 1)
    outsider = Actor(username="klient", role=Role.client, office_id=office.office_id, client_id=client_id)
    with pytest.raises(PermissionDenied):
        overview.client_ids(actor=outsider, chosen=ClientTableFilter())
    with pytest.raises(PermissionDenied):
        overview.client_choices(actor=outsider, client_ids=[client_id])
    with pytest.raises(PermissionDenied):
        overview.token_clients(actor=outsider, limit=5)


def test_clients_on_tokens_are_counted_in_full_and_listed_up_to_the_limit(any_office):
    ids = seeding.add_clients(any_office, 6)
    for client_id in ids[:4]:
        _link(client_id, AuthMethod.ksef_token)
    _link(ids[4], AuthMethod.ksef_certificate)
    _link(ids[5], AuthMethod.ksef_token, unlinked=True)  # a token link given up is history, not a client on tokens
    clients.archive_client(actor=any_office.manager, client_id=ids[3])

    found = overview.token_clients(actor=any_office.analyst, limit=2)
    assert found.total == 3
    assert [row.id for row in found.items] == ids[:2]
    assert all(row.auth_method == AuthMethod.ksef_token for row in found.items)
    assert overview.token_clients(actor=any_office.analyst, limit=50).total == 3
