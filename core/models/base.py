"""What every table shares: the constraint naming convention Alembic compares against, and timestamp columns."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlmodel import Field, SQLModel

from core.types import EnumText, UtcDateTime, utcnow

# Alembic and `alembic check` compare against these names; keep them stable.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def created() -> Any:
    """A creation timestamp, set when the row is built."""
    return Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)


def when(index: bool = False) -> Any:
    """An optional moment (UTC, timezone-aware)."""
    return Field(default=None, sa_type=UtcDateTime, index=index)


def enum_column(enum: type[StrEnum], length: int, default: StrEnum | None = None, **kwargs: Any) -> Any:
    """A column holding one of a StrEnum's values; rows read back the member, not a bare string."""
    if default is None:
        return Field(sa_type=EnumText(enum, length), **kwargs)
    return Field(default=default, sa_type=EnumText(enum, length), **kwargs)
