"""Accepted once and sent in one batch, on both backends: the unique constraints and the conditional job update hold
on PostgreSQL as on SQLite."""

from __future__ import annotations

import sqlalchemy as sa

from core import db
from core.models import IntakeDocument, JobRun
from core.services.clientside import intake
from tests.clientside import PASSWORD, invoice, send_pushed


def _count(model, *where) -> int:
    with db.session_scope() as session:
        return session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


def test_pushed_once_and_in_one_job_on_both_backends(any_linked):
    issued = intake.sign_in(company_key=any_linked.key, program="ERP", password=PASSWORD)
    program = intake.authorize(issued.token)
    first = [intake.push(program, invoice(any_linked.nip, f"DB/{n}")) for n in range(1, 4)]
    again = intake.push(program, invoice(any_linked.nip, "DB/1"), idempotency_key="x")
    assert [o.created for o in first] == [True, True, True] and not again.created
    assert again.document.id == first[0].document.id
    assert _count(IntakeDocument) == 3 and _count(JobRun, JobRun.kind == "send_invoices") == 1
    send_pushed()
    assert {intake.document(program, o.document.id).status for o in first} == {"accepted"}
