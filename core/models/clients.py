"""Client companies (firmy klientów) and their company keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.models.base import created, enum_column, when
from core.types import KsefEnvironment, LinkStatus


class Client(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("office_id", "nip"),)

    nip: str = Field(sa_type=sa.String(10))
    name: str = Field(sa_type=sa.String(300))
    email: str = Field(default="", sa_type=sa.String(254))
    erp_id: str = Field(default="", sa_type=sa.String(100))
    environment: KsefEnvironment = enum_column(KsefEnvironment, 8, KsefEnvironment.SIM)
    notes: str = Field(default="", sa_type=sa.String(2000))
    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id", index=True)
    link_status: LinkStatus = enum_column(LinkStatus, 16, LinkStatus.not_linked, index=True)
    archived_at: datetime | None = when(index=True)
    created_at: datetime = created()
    updated_at: datetime = created()


@dataclass(frozen=True)
class ClientCreate:
    """A client's fields as typed or imported; `environment` may be an alias ("produkcja") until checked."""

    nip: str
    name: str
    email: str = ""
    erp_id: str = ""
    environment: str = ""
    notes: str = ""


@dataclass(frozen=True)
class ClientUpdate:
    """Fields to change; None leaves a field as it is (the NIP never changes)."""

    name: str | None = None
    email: str | None = None
    erp_id: str | None = None
    environment: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class ClientPublic:
    id: int
    office_id: int
    nip: str
    name: str
    email: str
    erp_id: str
    environment: KsefEnvironment
    notes: str
    link_status: LinkStatus
    archived_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, row: Client) -> ClientPublic:
        assert row.id is not None
        return cls(
            id=row.id,
            office_id=row.office_id,
            nip=row.nip,
            name=row.name,
            email=row.email,
            erp_id=row.erp_id,
            environment=row.environment,
            notes=row.notes,
            link_status=row.link_status,
            archived_at=row.archived_at,
            created_at=row.created_at,
        )


class CompanyKey(SQLModel, table=True):
    """One issued company key `<officeAccountId>;<companyId>;<NIP>`; reissuing revokes the old row."""

    __tablename__ = "company_key"
    __table_args__ = (sa.UniqueConstraint("office_id", "company_id"),)

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id")
    client_id: int = Field(foreign_key="client.id", index=True)
    company_id: str = Field(max_length=40)
    issued_at: datetime = created()
    revoked_at: datetime | None = when()
