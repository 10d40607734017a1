"""Jobs start in the caller's transaction with their audit event, run only as a user who still may run them, dedup
on their kind's key, and end audited."""

import json
from datetime import date

import pytest
import sqlalchemy as sa

import ksef_spec
from core import db
from core.errors import NotFound, PermissionDenied
from core.jobs import queue, schedules
from core.jobs.kinds import (
    SYNC,
    BulkLinkResult,
    ClientImportResult,
    LinkConnectPayload,
    LinkHealthResult,
    ReportExportPayload,
    SendResult,
    StatusScanResult,
    SyncPayload,
)
from core.jobs.spec import from_json, to_json
from core.jobs.worker import drain
from core.models import AuditEvent, Client, CompanyKey, Invoice, JobRun, LinkOutcome, LinkRequest
from core.services import sending
from core.services.clients import register as clients
from core.services.clients.importer import start_client_import
from core.services.jobs import job_progress
from core.services.linking import keys as company_keys
from core.services.sync.request import request_sync
from core.services.users import disable_user, set_role
from core.types import InvoiceStatus, LinkStatus, utcnow
from tests import seeding
from tests.factories import clients_csv, valid_nips

SAMPLE = (ksef_spec.SAMPLES_DIR / "fa3" / "csharp-invoice-template-fa-3.xml").read_text(encoding="utf-8")


def _events(action: str) -> list[AuditEvent]:
    with db.session_scope() as session:
        return list(session.execute(sa.select(AuditEvent).where(AuditEvent.action == action)).scalars())


def _client_count() -> int:
    with db.session_scope() as session:
        return session.execute(sa.select(sa.func.count()).select_from(Client)).scalar_one()


def _import(office) -> int:
    content = clients_csv([{"nip": nip, "name": f"Firma {nip}"} for nip in valid_nips(3, seed=21)])
    return start_client_import(actor=office.support, filename="k.csv", content=content)


def test_a_job_and_its_audit_event_commit_with_the_change_or_not_at_all(office):
    with pytest.raises(RuntimeError), db.session_scope(write=True) as session:
        queue.start_job(session, office.support, SYNC, SyncPayload(client_id=1), action="sync.request")
        raise RuntimeError("the change that asked for the job failed")
    with db.session_scope() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(JobRun)).scalar_one() == 0
    assert _events("sync.request") == []


def test_starting_a_job_needs_its_kind_s_permission(office):
    with pytest.raises(PermissionDenied), db.session_scope(write=True) as session:
        queue.start_job(session, office.analyst, SYNC, SyncPayload(client_id=1))


def test_a_job_of_a_disabled_user_fails_and_never_runs_as_someone_else(office):
    job_id = _import(office)
    disable_user(actor=office.manager, username=office.support.username)
    drain()
    job = job_progress(actor=office.manager, job_id=job_id, result=ClientImportResult)
    assert job.status == "dead" and job.result is None
    assert job.error == (
        "Użytkownik, który zlecił zadanie, ma wyłączone lub usunięte konto; zadanie nie zostało wykonane."
    )
    assert _client_count() == 0
    (event,) = _events("job.dead")
    assert (event.target, event.actor, event.details["user_id"]) == (f"job:{job_id}", "worker", office.support.user_id)


def test_a_job_whose_user_lost_the_role_fails_with_the_reason(office):
    job_id = _import(office)
    set_role(actor=office.manager, username=office.support.username, role="analyst")
    drain()
    job = job_progress(actor=office.manager, job_id=job_id)
    assert job.status == "dead"
    assert job.error == (
        f"Użytkownik {office.support.username} nie ma już uprawnienia: zarządzanie klientami; "
        "zadanie nie zostało wykonane."
    )
    assert _client_count() == 0


def test_a_finished_job_of_a_person_is_audited_with_its_outcome(office):
    job_id = _import(office)
    drain()
    (event,) = _events("job.done")
    assert (event.target, event.actor) == (f"job:{job_id}", office.support.username)
    assert event.details == {"kind": "client_import", "status": "imported", "rows": 3, "imported": 3, "errors": 0}
    (started,) = _events("client.import.start")
    assert started.details == {"job_id": job_id}


def test_a_send_job_whose_user_lost_the_role_ends_its_invoices_failed_and_audited(office):
    client_id = seeding.add_clients(office, 1, seed=31)[0]
    nip = clients.get_client(actor=office.manager, client_id=client_id).nip
    xml = SAMPLE.replace("#nip#", nip).replace("#invoice_number#", "F/1").encode()
    batch = sending.queue_invoices(actor=office.support, client_id=client_id, files=[("f.xml", xml)])
    set_role(actor=office.manager, username=office.support.username, role="analyst")
    drain()
    job = job_progress(actor=office.manager, job_id=batch.job_id, result=SendResult)
    assert job.status == "dead" and "nie ma już uprawnienia: uruchamianie operacji KSeF" in job.error
    with db.session_scope() as session:
        invoice = session.get(Invoice, batch.invoice_ids[0])
        assert invoice.status == InvoiceStatus.failed and invoice.error_details == [job.error]
    (failed,) = _events("invoice.failed")
    assert failed.target == f"invoice:{batch.invoice_ids[0]}" and failed.details["error"] == job.error
    (queued,) = _events("invoice.queue")
    assert queued.details == {"job_id": batch.job_id, "invoices": 1}


def test_scheduled_jobs_run_as_the_system_of_their_office(office):
    schedules.enqueue_certificate_scan()
    schedules.enqueue_certificate_scan()  # the same slot: one job
    assert drain() == 1
    with db.session_scope() as session:
        job = session.execute(sa.select(JobRun).where(JobRun.kind == "certificate_scan")).scalar_one()
    assert job.created_by is None and job.status == "done"
    assert job_progress(actor=office.analyst, job_id=job.id, result=StatusScanResult).result == StatusScanResult(
        clients=0, changed=0
    )


def test_sync_now_while_one_is_pending_returns_the_pending_one(office):
    client_id = seeding.add_clients(office, 1, seed=41)[0]
    seeding.set_link_status(client_id, LinkStatus.linked)
    first, run_at = request_sync(actor=office.support, client_id=client_id)
    assert request_sync(actor=office.manager, client_id=client_id) == (first, run_at)
    queue.claim("w", job_id=first)
    assert request_sync(actor=office.support, client_id=client_id)[0] == first  # running: still that one
    with db.session_scope(write=True) as session:
        queue.complete(session, first, "w", {"new_invoices": 0, "ok": True})
    later, _ = request_sync(actor=office.support, client_id=client_id)
    assert later != first
    requests = _events("sync.request")
    assert [e.details.get("existing", False) for e in requests] == [False, True, True, False]
    assert {e.target for e in requests} == {f"client:{client_id}"}


def test_the_company_key_needs_the_credentials_permission_and_is_never_issued_by_reading(office):
    client_id = seeding.add_clients(office, 1, seed=51)[0]
    with pytest.raises(PermissionDenied):
        company_keys.get_company_key(actor=office.analyst, client_id=client_id)
    key = company_keys.get_company_key(actor=office.support, client_id=client_id)
    assert key.endswith(clients.get_client(actor=office.manager, client_id=client_id).nip)
    with db.session_scope(write=True) as session:
        session.execute(sa.update(CompanyKey).values(revoked_at=utcnow()))
    with pytest.raises(NotFound, match="nie ma ważnego klucza firmy"):
        company_keys.get_company_key(actor=office.support, client_id=client_id)
    with db.session_scope() as session:
        keys = session.execute(sa.select(CompanyKey.revoked_at)).scalars().all()
    assert len(keys) == 1 and all(keys)  # reading issued nothing


def test_every_declared_kind_has_a_body_and_every_body_a_declared_kind():
    import core.jobs.tasks  # noqa: F401 - binds the bodies
    from core.jobs.kinds import SPECS
    from core.jobs.registry import TASKS

    assert set(SPECS) == set(TASKS)
    assert all(TASKS[kind].spec is spec for kind, spec in SPECS.items())


@pytest.mark.parametrize(
    "value",
    [
        LinkConnectPayload((1, 2), LinkRequest("ksef_token", environment="SIM", send_enabled=True)),
        BulkLinkResult({3: LinkOutcome(3, False, "action_required", "missing_rights", "Brak uprawnień.")}),
        SendResult({5: InvoiceStatus.accepted, 6: InvoiceStatus.rejected}),
        ReportExportPayload("usage", "csv", "u.csv", date(2026, 1, 1), date(2026, 1, 31), (1,), ("invoice_sent",)),
        LinkHealthResult(clients=0),
    ],
)
def test_payloads_and_results_come_back_from_json_as_their_types(value):
    stored = json.loads(json.dumps(to_json(value)))  # as job_run keeps it
    assert from_json(type(value), stored) == value
