"""A client's link to its KSeF context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.models.base import created, enum_column, when
from core.types import AuthMethod, KsefEnvironment


class Link(SQLModel, table=True):
    """The client's way into its KSeF context; an unlinked row stays as history."""

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    credential_id: int | None = Field(default=None, foreign_key="credential.id", index=True)
    environment: KsefEnvironment = enum_column(KsefEnvironment, 8)
    auth_method: AuthMethod = enum_column(AuthMethod, 24)
    company_key: str = Field(default="", max_length=120)
    send_enabled: bool = False  # sending is configured, so InvoiceWrite is needed
    key_verified_at: datetime | None = when()
    last_attempt_at: datetime | None = when()
    last_success_at: datetime | None = when()
    permissions: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    permissions_checked_at: datetime | None = when()
    reauth_due_at: datetime | None = when()  # signature methods: when the refresh token runs out
    created_at: datetime = created()
    unlinked_at: datetime | None = when()


@dataclass(frozen=True)
class LinkRequest:
    """How to connect a client (the connect wizard, `ksef-console link connect`, the bulk connect job's payload)."""

    auth_method: str
    environment: str | None = None  # default: the client's environment
    credential_id: int | None = None  # default: the client's own active credential of that kind
    company_key: str | None = None  # default: the client's current key
    send_enabled: bool | None = None
    confirm_production: bool = False


@dataclass(frozen=True)
class LinkOutcome:
    """How one connect or verify attempt ended (also one client's line in a bulk job's result)."""

    client_id: int
    ok: bool
    status: str
    problem_class: str = ""
    message: str = ""
    kept: bool = False  # the attempt failed and the client's link stayed as it was (DESIGN.md §9)
