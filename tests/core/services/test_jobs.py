"""core.services.jobs.job_progress: what the UI reads about a job."""

import pytest

from core import db
from core.errors import NotFound
from core.jobs import queue
from core.jobs.kinds import BulkLinkResult, ClientImportResult
from core.jobs.worker import drain
from core.services.clients.importer import start_client_import
from core.services.jobs import job_progress
from tests.conftest import make_office
from tests.factories import clients_csv, valid_nips


def test_progress_follows_the_job_to_its_result(office):
    content = clients_csv([{"nip": nip, "name": f"Firma {nip}"} for nip in valid_nips(3, seed=11)])
    job_id = start_client_import(actor=office.support, filename="k.csv", content=content)
    waiting = job_progress(actor=office.analyst, job_id=job_id)
    assert (waiting.status, waiting.finished, waiting.done, waiting.total) == ("pending", False, 0, 0)
    assert waiting.subject == "k.csv" and waiting.kind == "client_import"
    drain()
    done = job_progress(actor=office.analyst, job_id=job_id)
    assert done.finished and (done.done, done.total) == (3, 3)
    assert done.result == ClientImportResult(status="imported", rows=3, imported=3, errors=())
    assert job_progress(actor=office.analyst, job_id=job_id, result=ClientImportResult).result == done.result


def test_a_job_read_as_another_kind_s_result_is_not_found(office):
    content = clients_csv([{"nip": nip, "name": f"Firma {nip}"} for nip in valid_nips(1, seed=12)])
    job_id = start_client_import(actor=office.support, filename="k.csv", content=content)
    with pytest.raises(NotFound):
        job_progress(actor=office.manager, job_id=job_id, result=BulkLinkResult)


def test_a_job_of_another_office_reads_as_not_found(office):
    other = make_office(name="Inne Biuro", account_id="BR-INNE", suffix="2")
    with db.session_scope(write=True) as session:
        job_id = queue.insert(session, kind="client_import", subject="x.csv", office_id=other.office_id).id
    with pytest.raises(NotFound):
        job_progress(actor=office.manager, job_id=job_id)
