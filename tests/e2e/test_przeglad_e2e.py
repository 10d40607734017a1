"""Issue 11 §6 in a real browser: the package tile on Przegląd shows its whole number, however narrow the tile."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.formatting import warsaw_today
from core.services.usage import package
from core.types import UsageKind
from tests import seeding
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_the_package_tile_never_cuts_its_number_short(page, ui_url, office):
    (client_id,) = seeding.add_clients(office, 1)
    seeding.seed_usage(office, {(client_id, warsaw_today(), UsageKind.invoice_received): 1234})
    package.update_package(actor=office.manager, monthly_limit=1_000_000, billing_day=1, policy="warn")
    page.set_viewport_size({"width": 1000, "height": 900})  # four tiles beside the sidebar: each ~120 px wide

    sign_in(page, ui_url, "kierownik", office.passwords["kierownik"])
    value = page.get_by_text("1 234 z 1 000 000", exact=True)
    expect(value).to_be_visible()
    # Nothing inside the tile is clipped: an ellipsis (what st.metric does) shows as scrollWidth > clientWidth.
    clipped = value.evaluate(
        """element => {
            const found = [];
            for (let node = element; node && !node.matches('[data-testid="stColumn"]'); node = node.parentElement) {
                if (node.scrollWidth > node.clientWidth + 1) found.push(node.tagName);
            }
            return found;
        }"""
    )
    assert clipped == []
