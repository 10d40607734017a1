"""The client side (DESIGN.md §3 K): invitations of client users, what the office allows each client, and the links
of the clients' own programs to the intake API with the documents they exchanged.

Secrets here are only ever hashes: an invitation token and an intake token are stored as their SHA-256 (they are
long random values, so a fast hash is enough), a program password as argon2 like every password.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.models.base import created, when


class ClientInvitation(SQLModel, table=True):
    """An e-mail invitation of a person of a client company; its link is single-use and expires."""

    __tablename__ = "client_invitation"

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id", index=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    email: str = Field(sa_type=sa.String(254))
    full_name: str = Field(default="", sa_type=sa.String(200))
    token_hash: str = Field(sa_type=sa.String(64), unique=True)  # SHA-256 hex of the link's token
    invited_by: str = Field(default="", sa_type=sa.String(64))
    sent_count: int = 0
    expires_at: datetime = created()
    accepted_at: datetime | None = when()
    revoked_at: datetime | None = when()
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created()


class ClientAccess(SQLModel, table=True):
    """What the office allows one client to do itself; no row means nothing is allowed (off by default)."""

    __tablename__ = "client_access"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", unique=True)
    view_documents: bool = False
    authenticate_link: bool = False
    send_invoices: bool = False
    updated_at: datetime = created()


class ClientProgram(SQLModel, table=True):
    """A client's own program linked to the intake API by the company key and a password of its own."""

    __tablename__ = "client_program"
    __table_args__ = (sa.UniqueConstraint("client_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id", index=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    name: str = Field(sa_type=sa.String(64))
    password_hash: str = Field(max_length=255)
    failed_logins: int = 0
    locked_until: datetime | None = when()
    last_contact_at: datetime | None = when()
    last_error: str = Field(default="", max_length=1000)
    removed_at: datetime | None = when()  # the link is gone; its documents and history stay
    created_at: datetime = created()


class IntakeToken(SQLModel, table=True):
    """A short-lived bearer token of a program; only its hash is kept."""

    __tablename__ = "intake_token"

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="client_program.id", index=True)
    token_hash: str = Field(sa_type=sa.String(64), unique=True)
    expires_at: datetime = created()


class IntakeDocument(SQLModel, table=True):
    """One invoice a program pushed: accepted once per client by its content hash (and the program's key, if any)."""

    __tablename__ = "intake_document"
    __table_args__ = (sa.UniqueConstraint("client_id", "content_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    program_id: int = Field(foreign_key="client_program.id", index=True)
    invoice_id: int = Field(foreign_key="invoice.id", unique=True)
    content_hash: str = Field(sa_type=sa.String(64))
    idempotency_key: str = Field(default="", sa_type=sa.String(128))
    created_at: datetime = created()


class IntakeAck(SQLModel, table=True):
    """A received invoice a program has pulled and acknowledged; what is not here is still to be pulled."""

    __tablename__ = "intake_ack"
    __table_args__ = (sa.UniqueConstraint("program_id", "invoice_id"),)

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="client_program.id", index=True)
    invoice_id: int = Field(foreign_key="invoice.id")
    acknowledged_at: datetime = created()
