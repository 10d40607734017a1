"""The Klienci table is filtered, counted and paged in the database (issue 13 §3)."""

from core.services import overview
from core.services.clients import register as clients
from core.services.overview import ClientTableFilter
from core.types import LinkStatus
from tests import seeding


def test_a_page_and_the_total_come_from_the_database(office):
    seeding.add_clients(office, 7)
    first = overview.client_table_page(actor=office.analyst, chosen=ClientTableFilter(), limit=3)
    last = overview.client_table_page(actor=office.analyst, chosen=ClientTableFilter(), limit=3, offset=6)
    assert first.total == last.total == 7
    assert [row.name for row in first.items] == ["Firma 01", "Firma 02", "Firma 03"]
    assert [row.name for row in last.items] == ["Firma 07"]


def test_filters_narrow_the_count_and_the_page(office):
    ids = seeding.add_clients(office, 5)
    seeding.set_link_status(ids[1], LinkStatus.error)
    seeding.set_link_status(ids[3], LinkStatus.error)
    errors = overview.client_table_page(
        actor=office.manager, chosen=ClientTableFilter(link_statuses=(LinkStatus.error,)), limit=50
    )
    assert errors.total == 2 and [row.id for row in errors.items] == [ids[1], ids[3]]
    found = overview.client_table_page(actor=office.manager, chosen=ClientTableFilter(search="MA 05"), limit=50)
    assert [row.name for row in found.items] == ["Firma 05"]
    nip = found.items[0].nip
    assert (
        overview.client_table_page(actor=office.manager, chosen=ClientTableFilter(search=nip[2:8]), limit=50).total == 1
    )


def test_archived_clients_only_on_request_with_their_date(office):
    ids = seeding.add_clients(office, 3)
    clients.archive_client(actor=office.manager, client_id=ids[0])
    assert overview.client_table_page(actor=office.manager, chosen=ClientTableFilter(), limit=50).total == 2
    every = overview.client_table_page(actor=office.manager, chosen=ClientTableFilter(include_archived=True), limit=50)
    assert every.total == 3
    assert [row.archived_at is not None for row in every.items] == [True, False, False]
