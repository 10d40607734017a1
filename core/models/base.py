"""What every table shares: the constraint naming convention Alembic compares against, and timestamp columns."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import cache
from typing import Any

from pydantic_core import PydanticUndefined
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


@cache
def _defaults(model: type[SQLModel]) -> tuple[dict[str, Any], tuple[tuple[str, Callable[[], Any]], ...]]:
    static: dict[str, Any] = {}
    factories: list[tuple[str, Callable[[], Any]]] = []
    for name, field in model.model_fields.items():
        if name == "id":
            continue
        if field.default_factory is not None:
            factories.append((name, field.default_factory))  # type: ignore[arg-type]
        elif field.default is not PydanticUndefined:
            static[name] = field.default
    return static, tuple(factories)


def new_row(model: type[SQLModel], **values: Any) -> dict[str, Any]:
    """The column values of a new row, as `model(**values).model_dump(exclude={"id"})` gives them, for bulk INSERTs
    of hot paths. Building a table model validates it, and pydantic inspects every default factory's signature for
    every instance: about half of storing a synced page went there (tests/bench/profile_sync.py). The caller passes
    values already of the column's type and length, as the hot paths' builders do."""
    static, factories = _defaults(model)
    return {**static, **{name: make() for name, make in factories if name not in values}, **values}
