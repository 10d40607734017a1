"""Invoices kept locally and the high-water marks of receiving them."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.models.base import created, enum_column, when
from core.types import InvoiceStatus, SubjectType


class Invoice(SQLModel, table=True):
    """Invoice metadata kept locally; screens read this, never KSeF."""

    __table_args__ = (
        sa.UniqueConstraint("client_id", "ksef_number"),
        sa.Index("ix_invoice_client_subject_storage", "client_id", "subject_type", "permanent_storage_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id")
    subject_type: SubjectType = enum_column(SubjectType, 10)
    status: InvoiceStatus = enum_column(InvoiceStatus, 10, InvoiceStatus.received, index=True)
    ksef_number: str | None = Field(default=None, max_length=36)
    original_ksef_number: str | None = Field(default=None, max_length=36)  # status 440: the invoice KSeF already has
    file_name: str = Field(default="", max_length=255)  # the uploaded file of a sent invoice
    invoice_number: str = Field(default="", max_length=256)
    issue_date: date | None = Field(default=None, index=True)
    invoicing_date: datetime | None = when()
    acquisition_date: datetime | None = when()
    permanent_storage_date: datetime | None = when()
    seller_nip: str = Field(default="", max_length=10)
    seller_name: str = Field(default="", max_length=512)
    buyer_identifier: str = Field(default="", max_length=50)
    buyer_name: str = Field(default="", max_length=512)
    net_amount: int | None = None  # grosze
    vat_amount: int | None = None
    gross_amount: int | None = None
    currency: str = Field(default="PLN", max_length=3)
    invoice_type: str = Field(default="", max_length=16)
    invoice_hash: str = Field(default="", max_length=44)
    session_reference: str = Field(default="", max_length=40)
    invoice_reference: str = Field(default="", max_length=40)
    error_code: int | None = None
    error_details: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    created_at: datetime = created()
    updated_at: datetime = created()


class InvoiceDocument(SQLModel, table=True):
    """The invoice XML and its UPO, apart from the metadata so that lists stay light."""

    __tablename__ = "invoice_document"

    invoice_id: int = Field(foreign_key="invoice.id", primary_key=True)
    xml: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    upo_xml: bytes | None = Field(default=None, sa_type=sa.LargeBinary)


class SyncState(SQLModel, table=True):
    """High-water mark per client and subject type (PROTOCOL.md §7.4)."""

    __tablename__ = "sync_state"
    __table_args__ = (sa.UniqueConstraint("client_id", "subject_type"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id")
    subject_type: SubjectType = enum_column(SubjectType, 10)
    hwm: datetime | None = when()  # everything with PermanentStorage date below this is stored locally
    backfill_from: datetime | None = when()
    last_run_at: datetime | None = when()
    last_success_at: datetime | None = when()
    next_due_at: datetime | None = when(index=True)
    consecutive_failures: int = 0
    last_error: str = Field(default="", max_length=1000)
