"""Pages that do not grow with the register (`make bench`, never `make test`; issue 13 §3).

The Klienci, Klient and Połącz firmy pages are opened in chromium against `streamlit run dashboard/server.py`; the
figure is the time from asking for the page's address to its table (Klienci), its client heading (Klient) or its
client picker's "choose every matching" button (Połącz firmy) being visible and the script run finished, the median
of several loads. Two offices share one UI process and database, one with 50 clients and one with 10,000, and their
loads alternate, so the machine's load (a shared CI box) weighs on both alike; goal: 10,000 ÷ 50 ≤ 1.5 for each page.
A signed-in browser resumes its session from the cookie on every load, so each load is a fresh Streamlit session,
like a user's F5.
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
from tests.conftest import make_office
from tests.e2e.conftest import settled, sign_in
from tests.factories import valid_nips

pytestmark = pytest.mark.e2e

LOADS = 5
GOAL = 1.5
STATUSES = ["linked", "degraded", "action_required", "error", "not_linked"]


def _add_clients(office_id: int, first: int, count: int, nip_base: int = 1_000_000_000) -> None:
    now = datetime.now(UTC)
    rows = [
        {
            "office_id": office_id,
            "nip": f"{nip_base + i:010d}",
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


def _medians(small: Page, large: Page, small_url: str, large_url: str, ready) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Loads alternate between the two offices; two warm loads each first (modules, database caches)."""
    for _ in range(2):
        _load_ms(small, small_url, ready)
        _load_ms(large, large_url, ready)
    pairs = [(_load_ms(small, small_url, ready), _load_ms(large, large_url, ready)) for _ in range(LOADS)]
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def _table(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("stDataFrame").first


def _client_heading(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_role("heading", name="Firma 00007 sp. z o.o.")


def _picker(page: Page):  # type: ignore[no-untyped-def]
    return page.locator(".st-key-polacz_select_all button")


READY = {"klienci": "table", "klient": "client", "polacz": "client picker"}
TITLES = {"klienci": "Klienci", "klient": "Klient", "polacz": "Połącz firmy"}


def test_klienci_and_klient_pages_at_ten_thousand_clients_against_fifty(page, ui_url, office):
    big = make_office(name="Biuro Duże", nip=valid_nips(1, seed=3)[0], account_id="BR-BIG", suffix="2")
    _add_clients(office.office_id, 0, 50)
    _add_clients(big.office_id, 0, 10_000, nip_base=1_100_000_000)
    sign_in(page, ui_url, "kierownik", office.passwords["kierownik"])
    other = page.context.browser.new_context(viewport={"width": 1400, "height": 1000}, locale="pl-PL")
    large = other.new_page()
    large.set_default_timeout(30_000)
    sign_in(large, ui_url, "kierownik2", big.passwords["kierownik2"])
    results = {
        "klienci": _medians(page, large, f"{ui_url}klienci", f"{ui_url}klienci", _table),
        "klient": _medians(
            page,
            large,
            f"{ui_url}klient?nip={1_000_000_007:010d}",
            f"{ui_url}klient?nip={1_100_000_007:010d}",
            _client_heading,
        ),
        "polacz": _medians(page, large, f"{ui_url}polacz", f"{ui_url}polacz", _picker),
    }
    other.close()
    for name, (small_ms, large_ms) in results.items():
        sentence = (
            f"\n{TITLES[name]} page: {large_ms:.0f} ms at 10,000 clients, {small_ms:.0f} ms at 50 "
            f"(median of {LOADS} alternating loads in chromium, time to the "
            f"{READY[name]} visible)"
        )
        bench(f"page_{name}_10000_vs_50", round(large_ms / small_ms, 2), "ratio", "<=", GOAL, sentence)
