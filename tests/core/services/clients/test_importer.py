import pytest

from core.errors import InvalidInput, PermissionDenied
from core.jobs.kinds import ClientImportResult
from core.jobs.worker import drain
from core.models import ClientCreate
from core.services.clients import register as clients
from core.services.clients.importer import apply_client_import, import_template, read_table, start_client_import
from core.services.jobs import job_progress
from tests.factories import clients_csv, clients_xlsx, two_hundred_clients_with_three_bad_rows, valid_nips


def test_two_hundred_rows_with_three_bad_ones_import_nothing_and_name_each_row(office):
    content, expected = two_hundred_clients_with_three_bad_rows()
    report = apply_client_import(actor=office.manager, filename="klienci.csv", content=content)
    assert report.errors == expected
    assert report.rows == 200 and report.imported == 0
    assert clients.list_clients(actor=office.manager).total == 0


def test_a_clean_file_applies_whole(office):
    nips = valid_nips(200, seed=3)
    content = clients_csv([{"nip": n, "name": f"Firma {i}", "environment": "test"} for i, n in enumerate(nips)])
    report = apply_client_import(actor=office.manager, filename="klienci.csv", content=content)
    assert (report.errors, report.imported) == ([], 200)
    page = clients.list_clients(actor=office.manager, limit=1)
    assert page.total == 200 and page.items[0].environment == "TEST"


def test_xlsx_with_numeric_nips(office):
    nips = valid_nips(3, seed=4)
    content = clients_xlsx([{"nip": int(n), "name": f"Firma {n}"} for n in nips])
    report = apply_client_import(actor=office.manager, filename="klienci.xlsx", content=content)
    assert report.imported == 3
    assert sorted(c.nip for c in clients.list_clients(actor=office.manager).items) == sorted(nips)


def test_windows_1250_comma_separated_file(office):
    nip = valid_nips(1, seed=5)[0]
    content = clients_csv([{"nip": nip, "name": "Zakład Łódź"}], delimiter=",", encoding="cp1250", bom=False)
    assert apply_client_import(actor=office.manager, filename="k.csv", content=content).imported == 1
    assert clients.list_clients(actor=office.manager).items[0].name == "Zakład Łódź"


def test_clients_already_registered_are_reported(office):
    nip = valid_nips(1, seed=6)[0]
    clients.add_client(actor=office.manager, data=ClientCreate(nip=nip, name="Stara"))
    report = apply_client_import(
        actor=office.manager, filename="k.csv", content=clients_csv([{"nip": nip, "name": "Nowa"}])
    )
    assert report.errors == [f"wiersz 2: klient z NIP {nip} już jest w rejestrze (Stara)"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Plik jest pusty."),
        (b"nazwa;miasto\r\nA;B\r\n", "Brak kolumn: NIP"),
        (b"NIP;nazwa\r\n;\r\n", "nie zawiera"),
        (b"PK\x03\x04garbage", "uszkodzony"),
    ],
)
def test_unreadable_files_get_a_polish_message(office, content, message):
    with pytest.raises(InvalidInput, match=message):
        apply_client_import(actor=office.manager, filename="k.csv", content=content)


def test_analyst_cannot_import(office):
    with pytest.raises(PermissionDenied):
        start_client_import(actor=office.analyst, filename="k.csv", content=clients_csv([]))


def test_import_runs_as_a_job_with_progress_and_result(office):
    content, expected = two_hundred_clients_with_three_bad_rows()
    job_id = start_client_import(actor=office.support, filename="klienci.csv", content=content)
    assert job_progress(actor=office.support, job_id=job_id).status == "pending"
    assert drain() == 1
    job = job_progress(actor=office.support, job_id=job_id, result=ClientImportResult)
    assert job.status == "done"
    assert (job.done, job.total) == (200, 200)
    assert job.result == ClientImportResult(status="refused", rows=200, imported=0, errors=tuple(expected))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("lang", ["pl", "en"])
def test_the_template_holds_the_columns_the_import_reads_and_its_example_imports(office, fmt, lang):
    """Issue 11 §8: a downloadable template; taken as it is, its one example row imports cleanly."""
    name, mime, content = import_template(actor=office.manager, fmt=fmt, lang=lang)
    assert name.endswith(f".{fmt}") and mime
    header = read_table(name, content)[0]
    assert header[0].lstrip("\ufeff") == "NIP" and len(header) == 5
    report = apply_client_import(actor=office.manager, filename=name, content=content)
    assert (report.errors, report.imported) == ([], 1)
    (client,) = clients.list_clients(actor=office.manager).items
    assert (client.nip, client.environment) == ("5265877635", "PROD") and client.email and client.erp_id == "ERP-0001"
    with pytest.raises(PermissionDenied):
        import_template(actor=office.analyst, fmt=fmt, lang=lang)
