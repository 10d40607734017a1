"""Office state for page tests: clients with link statuses, invoices, usage events (and their rollup), problems and
certificates, written straight to the test database (pages read them only through the services)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from core import db
from core.formatting import WARSAW
from core.models import ClientCreate, Credential, Invoice, InvoiceDocument, Problem, UsageEvent
from core.services.clients import register as clients
from core.services.usage.rollups import rebuild_rollup
from core.types import AuthMethod, CredentialStatus, InvoiceStatus, SubjectType, UsageKind
from tests.conftest import OfficeActors
from tests.factories import valid_nips


def add_clients(office: OfficeActors, count: int, *, seed: int = 61, prefix: str = "Firma") -> list[int]:
    ids = []
    for index, nip in enumerate(valid_nips(count, seed=seed), start=1):
        added = clients.add_client(actor=office.manager, data=ClientCreate(nip=nip, name=f"{prefix} {index:02d}"))
        ids.append(added.id)
    return ids


def set_link_status(client_id: int, status: str) -> None:
    from core.models import Client

    with db.session_scope(write=True) as session:
        session.execute(sa.update(Client).where(Client.id == client_id).values(link_status=status))


def add_invoice(client_id: int, *, number: str, subject_type: str = SubjectType.Subject2,
                status: str = InvoiceStatus.received, issue_date: date | None = None, gross: int = 123_456,
                ksef_number: str | None = None, xml: bytes | None = b"<Faktura/>", upo: bytes | None = None,
                **values: object) -> int:  # fmt: skip
    with db.session_scope(write=True) as session:
        invoice = Invoice(
            client_id=client_id,
            subject_type=subject_type,
            status=status,
            invoice_number=number,
            issue_date=issue_date or date(2026, 11, 2),
            gross_amount=gross,
            ksef_number=ksef_number,
            seller_nip=str(values.pop("seller_nip", "5265877635")),
            seller_name=str(values.pop("seller_name", "Dostawca sp. z o.o.")),
            buyer_identifier=str(values.pop("buyer_identifier", "")),
            buyer_name=str(values.pop("buyer_name", "")),
            **values,  # type: ignore[arg-type]
        )
        session.add(invoice)
        session.flush()
        assert invoice.id is not None
        if xml is not None or upo is not None:
            session.add(InvoiceDocument(invoice_id=invoice.id, xml=xml, upo_xml=upo))
        return invoice.id


def warsaw_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=WARSAW).astimezone(UTC)


def seed_usage(office: OfficeActors, plan: dict[tuple[int, date, str], int]) -> None:
    """(client id, Warsaw day, usage kind) → that many counted operations, each with its invoice; then the rollup."""
    serial = 0
    with db.session_scope(write=True) as session:
        for (client_id, day, kind), count in plan.items():
            subject = SubjectType.Subject1 if kind == UsageKind.invoice_sent else SubjectType.Subject2
            status = InvoiceStatus.accepted if kind == UsageKind.invoice_sent else InvoiceStatus.received
            for _ in range(count):
                serial += 1
                invoice = Invoice(
                    client_id=client_id, subject_type=subject, status=status, invoice_number=f"U/{serial}",
                    ksef_number=f"KSEF-{serial:06d}", issue_date=day,
                )  # fmt: skip
                session.add(invoice)
                session.flush()
                assert invoice.id is not None
                session.add(
                    UsageEvent(
                        office_id=office.office_id, client_id=client_id, invoice_id=invoice.id, kind=kind,
                        occurred_at=warsaw_noon(day),
                    )
                )  # fmt: skip
    first = min(day for _, day, _ in plan) if plan else date.today()
    rebuild_rollup(first)


def add_problem(office: OfficeActors, client_id: int, problem_class: str, *, days_ago: int = 0) -> None:
    seen = datetime.now(UTC) - timedelta(days=days_ago)
    with db.session_scope(write=True) as session:
        session.add(
            Problem(
                office_id=office.office_id, client_id=client_id, problem_class=problem_class, operation="sync",
                message="test", first_seen_at=seen, last_seen_at=seen,
            )
        )  # fmt: skip


def add_certificate(office: OfficeActors, client_id: int | None, *, valid_to: datetime, label: str = "cert") -> None:
    with db.session_scope(write=True) as session:
        session.add(
            Credential(
                office_id=office.office_id, client_id=client_id, kind=AuthMethod.ksef_certificate,
                status=CredentialStatus.authorized, label=label, serial_number=label.upper(),
                valid_from=valid_to - timedelta(days=365), valid_to=valid_to,
            )
        )  # fmt: skip
