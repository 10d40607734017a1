"""The package's `hold` policy in the queue: when the package is used up, non-urgent work of that office waits."""

from __future__ import annotations

import threading
import time
from datetime import datetime

from sqlmodel import select

from core.db import session_scope
from core.models import Package
from core.services.usage.package import office_package_usage
from core.types import PackagePolicy

_HELD_TTL_SECONDS = 30.0
# (office, package updated_at) -> (when decided, exhausted): usage is summed at most every 30 s per office, and a
# changed package (new limit or policy) is decided again at once because its updated_at changes.
_exhausted: dict[tuple[int, datetime], tuple[float, bool]] = {}
_lock = threading.Lock()


def held_offices() -> list[int]:
    """Offices whose package is used up under the `hold` policy: their non-urgent jobs wait."""
    with session_scope() as session:
        candidates = session.exec(
            select(Package.office_id, Package.updated_at).where(Package.exhausted_policy == PackagePolicy.hold)
        ).all()
    return [office_id for office_id, updated_at in candidates if _is_exhausted(office_id, updated_at)]


def _is_exhausted(office_id: int, updated_at: datetime) -> bool:
    now = time.monotonic()
    with _lock:
        cached = _exhausted.get((office_id, updated_at))
    if cached and now - cached[0] < _HELD_TTL_SECONDS:
        return cached[1]
    exhausted = office_package_usage(office_id).exhausted
    with _lock:
        _exhausted[(office_id, updated_at)] = (now, exhausted)
    return exhausted
