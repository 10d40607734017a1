"""The demo office's past, made once on its first start, so it looks like an office that has been working a while.

On the first start every link is verified and every client's invoices so far (the simulator's ~80 days of history)
are received at once. Counted on that one day, they would use the package up twice over and forecast a run-out; an
office that had been running would have received each invoice around the day KSeF stored it. So the demo dates each
of those first operations on that day (the demo's fiction, never the product's rule: live usage is always counted
when it happens), then sizes its package so that the office looks normal: the period about two thirds through,
roughly half the limit used and the forecast under it.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import col, select

from core import audit
from core.db import session_scope
from core.formatting import warsaw_today
from core.models import Client, Invoice, Package, UsageEvent
from core.security import Actor
from core.services.linking.links import bulk_verify
from core.services.sync.engine import sync_client
from core.services.usage.package import office_package_usage
from core.services.usage.rollups import rebuild_rollup, refresh_summaries
from core.types import LinkStatus

log = logging.getLogger("ksef_console.demo")
SYNC_CONCURRENCY = 8
DAYS_INTO_PERIOD = 19  # today is about day 20 of the package month
FORECAST_SHARE = 0.75  # the month's forecast at most three quarters of the limit
PACKAGE_SIZES = (1_000, 2_000, 3_000, 5_000, 7_500, 10_000, 15_000, 20_000, 30_000, 50_000, 100_000)


def prepare_history(office_id: int, client_ids: list[int]) -> None:
    actor = Actor.system("demo-seed", office_id)
    bulk_verify(actor=actor, client_ids=client_ids)
    with session_scope() as session:
        working = [
            c for c in client_ids
            if (client := session.get(Client, c)) and client.link_status in (LinkStatus.linked, LinkStatus.degraded)
        ]  # fmt: skip
    with ThreadPoolExecutor(max_workers=SYNC_CONCURRENCY, thread_name_prefix="demo-sync") as pool:
        for client_id, outcome in zip(working, pool.map(lambda c: _sync(actor, c), working), strict=True):
            if outcome:
                log.warning("demo: the first sync of client %s failed: %s", client_id, outcome)
    first = date_first_operations(office_id)
    size_package(office_id, first is not None)


def _sync(actor: Actor, client_id: int) -> str:
    try:
        sync_client(actor=actor, client_id=client_id)
    except Exception as error:  # one client's failure is its problem row; the demo goes on
        return str(error)
    return ""


def date_first_operations(office_id: int) -> date | None:
    """Move each counted operation of the office to the day KSeF stored its invoice; the first such day, if any."""
    stored = (
        sa.select(col(Invoice.permanent_storage_date))
        .where(col(Invoice.id) == col(UsageEvent.invoice_id))
        .scalar_subquery()
    )
    with session_scope(write=True) as session:
        session.execute(
            sa.update(UsageEvent)
            .where(col(UsageEvent.office_id) == office_id, col(UsageEvent.invoice_id).is_not(None))
            .values(occurred_at=sa.func.coalesce(stored, UsageEvent.occurred_at))
        )
        first = session.execute(
            sa.select(sa.func.min(UsageEvent.occurred_at)).where(col(UsageEvent.office_id) == office_id)
        ).scalar_one_or_none()
    if first is None:
        return None
    rebuild_rollup(warsaw_today(first) - timedelta(days=1))
    refresh_summaries(office_id=office_id)
    return warsaw_today(first)


def size_package(office_id: int, has_history: bool) -> None:
    """The billing day that puts today about two thirds into the period, and the smallest usual package size whose
    limit the month's forecast stays under (by a quarter)."""
    today = warsaw_today()
    billing_day = min(28, (today - timedelta(days=DAYS_INTO_PERIOD)).day)
    with session_scope(write=True) as session:
        package = session.exec(select(Package).where(Package.office_id == office_id)).one()
        package.billing_day = billing_day
        session.add(package)
    if not has_history:
        return
    forecast = office_package_usage(office_id).forecast
    limit = next((size for size in PACKAGE_SIZES if forecast <= size * FORECAST_SHARE), PACKAGE_SIZES[-1])
    with session_scope(write=True) as session:
        package = session.exec(select(Package).where(Package.office_id == office_id)).one()
        package.monthly_limit, package.name = limit, f"KSeF Standard {limit}"
        session.add(package)
        audit.record(session, Actor.system("demo-seed", office_id), "demo.package", f"office:{office_id}",
                     limit=limit, billing_day=billing_day, forecast=forecast)  # fmt: skip
    refresh_summaries(office_id=office_id)
