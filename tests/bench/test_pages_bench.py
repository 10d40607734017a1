"""Pages that do not grow with the register (`make bench`, never `make test`; issue 13 §3).

The Klienci and Klient pages are opened in chromium against `streamlit run dashboard/server.py`; the figure is the time
from asking for the page's address to its table (Klienci) or its client heading (Klient) being visible and the script
run finished, the median of several loads. The same UI process is measured with 50 clients and, after 9,950 more are
inserted in bulk, with 10,000; goal: 10,000 ÷ 50 ≤ 1.5 for each page. A signed-in browser resumes its session from the
cookie on every load, so each load is a fresh Streamlit session, like a user's F5.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from core import db
from core.models import Client
from tests.bench.report import bench
from tests.e2e.conftest import settled, sign_in

pytestmark = pytest.mark.e2e

LOADS = 5
GOAL = 1.5
STATUSES = ["linked", "degraded", "action_required", "error", "not_linked"]


def _add_clients(office_id: int, first: int, count: int) -> None:
    now = datetime.now(UTC)
    rows = [
        {
            "office_id": office_id,
            "nip": f"{1_000_000_000 + i:010d}",
            "name": f"Firma {i:05d} sp. z o.o.",
            "email": "",
            "erp_id": f"ERP-{i}",
            "environment": "SIM",
            "notes": "",
            "link_status": STATUSES[i % len(STATUSES)],
            "created_at": now,
            "updated_at": now,
        }
        for i in range(first, first + count)
    ]
    with db.session_scope(write=True) as session:
        session.execute(sa.insert(Client), rows)


def _load_ms(page: Page, url: str, ready) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    page.goto(url)
    expect(ready(page)).to_be_visible()
    settled(page)
    return (time.perf_counter() - started) * 1000


def _median_ms(page: Page, url: str, ready) -> float:  # type: ignore[no-untyped-def]
    for _ in range(2):  # warm: the page's modules and the database's caches
        _load_ms(page, url, ready)
    return statistics.median(_load_ms(page, url, ready) for _ in range(LOADS))


def _table(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("stDataFrame").first


def _client_heading(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_role("heading", name="Firma 00007 sp. z o.o.")


def test_klienci_and_klient_pages_at_ten_thousand_clients_against_fifty(page, ui_url, office):
    _add_clients(office.office_id, 0, 50)
    sign_in(page, ui_url, "kierownik", office.passwords["kierownik"])
    klienci, klient = f"{ui_url}klienci", f"{ui_url}klient?nip={1_000_000_007:010d}"
    small = {"klienci": _median_ms(page, klienci, _table), "klient": _median_ms(page, klient, _client_heading)}
    _add_clients(office.office_id, 50, 9_950)
    large = {"klienci": _median_ms(page, klienci, _table), "klient": _median_ms(page, klient, _client_heading)}
    for name in ("klienci", "klient"):
        sentence = (
            f"\n{name.capitalize()} page: {large[name]:.0f} ms at 10,000 clients, {small[name]:.0f} ms at 50 "
            f"(median of {LOADS} loads in chromium, time to the {'table' if name == 'klienci' else 'client'} visible)"
        )
        bench(f"page_{name}_10000_vs_50", round(large[name] / small[name], 2), "ratio", "<=", GOAL, sentence)
