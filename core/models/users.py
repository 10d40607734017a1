"""Console users: office staff and, bound to one client company, client users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.models.base import created, enum_column, when
from core.types import Role


class User(SQLModel, table=True):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL

    username: str = Field(sa_type=sa.String(64), unique=True)
    full_name: str = Field(default="", sa_type=sa.String(200))
    email: str = Field(default="", sa_type=sa.String(254))
    role: Role = enum_column(Role, 16, Role.analyst)
    language: str = Field(default="pl", sa_type=sa.String(2))
    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id", index=True)
    client_id: int | None = Field(default=None, foreign_key="client.id", index=True)  # role client: its company
    password_hash: str = Field(max_length=255)
    failed_logins: int = 0
    locked_until: datetime | None = when()
    last_login_at: datetime | None = when()
    disabled_at: datetime | None = when()
    created_at: datetime = created()


@dataclass(frozen=True)
class UserCreate:
    username: str
    password: str
    role: Role | str = Role.analyst
    full_name: str = ""
    email: str = ""
    language: str = "pl"


@dataclass(frozen=True)
class UserPublic:
    id: int
    office_id: int
    username: str
    full_name: str
    email: str
    role: Role
    language: str
    disabled_at: datetime | None
    last_login_at: datetime | None

    @classmethod
    def of(cls, row: User) -> UserPublic:
        assert row.id is not None
        return cls(
            id=row.id,
            office_id=row.office_id,
            username=row.username,
            full_name=row.full_name,
            email=row.email,
            role=row.role,
            language=row.language,
            disabled_at=row.disabled_at,
            last_login_at=row.last_login_at,
        )
