"""What a job kind declares (payload and result types, retry policy, dedup key, permission) and the one codec that
turns those frozen dataclasses into the JSON of `job_run.payload` / `job_run.result` and back.

This module and `core.jobs.kinds` import no service, so services can name the kinds and their types.
"""

from __future__ import annotations

import dataclasses
import random
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Any, Generic, Protocol, TypeVar

from core.security import Permission
from core.types import ProblemClass

P = TypeVar("P")
R = TypeVar("R")
T = TypeVar("T")

# Failures that go away by themselves: the network, KSeF being down or busy, and our own unexpected errors.
TRANSIENT = frozenset(
    {ProblemClass.network, ProblemClass.ksef_unavailable, ProblemClass.rate_limited, ProblemClass.internal}
)


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How many attempts a job gets and which failure classes earn another one (with exponential backoff)."""

    attempts: int = 1
    retry_on: frozenset[ProblemClass] = frozenset()
    backoff_base: float = 5.0
    backoff_cap: float = 15 * 60.0

    def retries(self, problem_class: ProblemClass, attempt: int) -> bool:
        return problem_class in self.retry_on and attempt < self.attempts

    def delay(self, attempt: int) -> float:
        """5 s, 10 s, 20 s … capped, with jitter so that a fleet of failed jobs does not come back at once."""
        nominal = min(self.backoff_cap, self.backoff_base * 2.0 ** max(0, attempt - 1))
        return nominal * random.uniform(0.8, 1.2)


ONCE = RetryPolicy()


@dataclasses.dataclass(frozen=True)
class JobSpec(Generic[P, R]):
    """One kind of job. `dedup` names what at most one pending or running job may work on at a time (e.g. the
    client of a sync); None means every job stands alone (its own id is its key)."""

    kind: str
    payload: type[P]
    result: type[R]
    permission: Permission
    retry: RetryPolicy = ONCE
    dedup: Callable[[P], str] | None = None
    priority: int = 0

    def dedup_key(self, payload: P) -> str | None:
        return None if self.dedup is None else f"{self.kind}:{self.dedup(payload)}"

    def read_payload(self, data: dict[str, Any]) -> P:
        return from_json(self.payload, data)

    def read_result(self, data: dict[str, Any] | None) -> R | None:
        """The stored result as its declared type; None while the job has none yet."""
        return from_json(self.result, data) if data else None


class Progress(Protocol):
    """How a long operation reports progress (and the partial result so far) to the job running it."""

    def __call__(self, done: int, total: int, *, force: bool = False, result: Any = None) -> None: ...


def no_progress(done: int, total: int, *, force: bool = False, result: Any = None) -> None:
    """For callers that run a job body directly and follow nothing."""


def audit_details(result: Any) -> dict[str, Any]:
    """What the audit log keeps of a job's result: its own summary when it declares one (`audit()`), else all of it."""
    if result is None:
        return {}
    summary = getattr(result, "audit", None)
    details = summary() if callable(summary) else to_json(result)
    return dict(details) if isinstance(details, dict) else {"result": details}


def to_json(value: Any) -> Any:
    """A frozen dataclass (with nested dataclasses, enums, dates, tuples and dicts) as plain JSON."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        return [to_json(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def from_json(cls: type[T], data: dict[str, Any]) -> T:
    """The inverse of `to_json` for a dataclass type. Unknown keys are ignored (rows written by older versions)."""
    hints = typing.get_type_hints(cls)
    values = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if field.name in data:
            values[field.name] = _convert(hints[field.name], data[field.name])
    return cls(**values)


def _convert(hint: Any, value: Any) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        return _convert(next(a for a in args if a is not type(None)), value)
    if origin is list:
        return [_convert(args[0], v) for v in value]
    if origin is tuple:
        return tuple(_convert(args[0], v) for v in value)
    if origin is frozenset:
        return frozenset(_convert(args[0], v) for v in value)
    if origin is dict:
        return {_convert(args[0], k): _convert(args[1], v) for k, v in value.items()}
    if hint is Any or value is None:
        return value
    if dataclasses.is_dataclass(hint):
        return from_json(hint, value)  # type: ignore[arg-type]
    if hint is datetime:
        return datetime.fromisoformat(value)
    if hint is date:
        return date.fromisoformat(value)
    if isinstance(hint, type) and issubclass(hint, Enum | int | str | float):
        return hint(value)  # also turns a JSON object's string key back into an int
    return value
