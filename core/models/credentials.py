"""Ways into KSeF (tokens, certificates, signature anchors) and the KSeF sessions they open."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.models.base import created, enum_column, when
from core.types import (
    AuthMethod,
    CertificateType,
    CredentialSource,
    CredentialStatus,
    EnrollmentStatus,
    MigrationStatus,
)


class Credential(SQLModel, table=True):
    """A way into KSeF: a token, a certificate with its key, or a signature session.

    `client_id` is null for an office credential that serves every client that granted the office rights.
    """

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id", index=True)
    client_id: int | None = Field(default=None, foreign_key="client.id", index=True)
    kind: AuthMethod = enum_column(AuthMethod, 24)
    source: CredentialSource = enum_column(CredentialSource, 8, CredentialSource.client)
    label: str = Field(default="", max_length=200)
    status: CredentialStatus = enum_column(CredentialStatus, 16, CredentialStatus.active)
    secret_ciphertext: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    certificate_pem: str | None = Field(default=None, sa_type=sa.Text)
    certificate_type: CertificateType | None = enum_column(CertificateType, 16, default=None)
    subject: str = Field(default="", max_length=500)
    subject_identifier: str = Field(default="", max_length=64)  # NIP / PESEL / fingerprint
    serial_number: str = Field(default="", max_length=64)
    fingerprint: str = Field(default="", max_length=64, index=True)
    context_nip: str = Field(default="", max_length=10)  # the context a KSeF token is bound to
    valid_from: datetime | None = when()
    valid_to: datetime | None = when(index=True)
    last_used_at: datetime | None = when()
    created_at: datetime = created()
    revoked_at: datetime | None = when()


class KsefSession(SQLModel, table=True):
    """Access/refresh tokens per (client, credential), shared by all workers; both tokens encrypted."""

    __tablename__ = "ksef_session"
    __table_args__ = (sa.UniqueConstraint("client_id", "credential_id"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id")
    credential_id: int = Field(foreign_key="credential.id", index=True)
    access_ciphertext: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    access_valid_until: datetime | None = when()
    refresh_ciphertext: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    refresh_valid_until: datetime | None = when()
    auth_reference: str = Field(default="", max_length=40)
    updated_at: datetime = created()


class CertificateEnrollment(SQLModel, table=True):
    """A KSeF certificate requested through the API (DESIGN.md §3 B.5): the CSR's private key is sealed in
    `key_ciphertext` before the request leaves, and moves to the credential the certificate becomes."""

    __tablename__ = "certificate_enrollment"

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id", index=True)
    client_id: int | None = Field(default=None, foreign_key="client.id", index=True)  # None: the office's identity
    identity_credential_id: int = Field(foreign_key="credential.id")  # the certificate that authenticated the request
    certificate_name: str = Field(max_length=100)
    certificate_type: CertificateType = enum_column(CertificateType, 16)
    key_type: str = Field(default="EC", max_length=8)
    status: EnrollmentStatus = enum_column(EnrollmentStatus, 12, EnrollmentStatus.prepared, index=True)
    key_ciphertext: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    reference_number: str = Field(default="", max_length=64)
    serial_number: str = Field(default="", max_length=64)
    credential_id: int | None = Field(default=None, foreign_key="credential.id")  # the credential it became
    message: str = Field(default="", max_length=500)  # why it failed (a catalogue text, never a secret)
    requested_by: str = Field(default="", max_length=100)
    created_at: datetime = created()
    updated_at: datetime | None = when()


class TokenMigration(SQLModel, table=True):
    """One client's way off its KSeF token before the sunset (the "Wygaszanie tokenów" campaign, issue 12 #5)."""

    __tablename__ = "token_migration"

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id", index=True)
    client_id: int = Field(foreign_key="client.id", unique=True)
    status: MigrationStatus = enum_column(MigrationStatus, 16, MigrationStatus.not_contacted)
    switching: bool = False  # a switch was started and has not finished (a worker kill resumes from here)
    fallback_credential_id: int | None = Field(default=None, foreign_key="credential.id")  # the token kept
    rights_checked_at: datetime | None = when()
    instruction_sent_at: datetime | None = when()
    switched_at: datetime | None = when()
    message: str = Field(default="", max_length=500)
    updated_at: datetime | None = when()
