"""What the Raporty page previews and plots: the same reports as the exports, reached with the acting user."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core.errors import InvalidInput
from core.services.reports import views as report_views
from core.services.reports.rows import UsageFilters
from core.types import LinkStatus, UsageKind
from tests import seeding

OCT, NOV = date(2026, 10, 20), date(2026, 11, 3)


@pytest.fixture
def usage(office):
    ids = seeding.add_clients(office, 2)
    seeding.seed_usage(
        office,
        {
            (ids[0], OCT, UsageKind.invoice_received): 3,
            (ids[0], NOV, UsageKind.invoice_received): 2,
            (ids[0], NOV, UsageKind.invoice_sent): 1,
            (ids[1], NOV, UsageKind.invoice_received): 4,
        },
    )
    return ids


def test_usage_by_month_previews_rows_and_plots_months_by_kind(office, usage):
    view = report_views.report_view(
        actor=office.analyst, kind="usage", filters=UsageFilters(date(2026, 10, 1), date(2026, 11, 30))
    )
    assert view.header == ["NIP", "Nazwa", "Miesiąc pakietu", "Rodzaj operacji", "Liczba operacji"]
    assert view.total_rows == 4 and len(view.preview) == 4
    assert sorted(row[1:] for row in view.preview) == [  # rows come sorted by NIP
        ["Firma 01", "2026-10", "faktura odebrana", 3],
        ["Firma 01", "2026-11", "faktura odebrana", 2],
        ["Firma 01", "2026-11", "faktura wysłana", 1],
        ["Firma 02", "2026-11", "faktura odebrana", 4],
    ]
    assert view.series == [
        ("2026-10", "invoice_received", 3),
        ("2026-11", "invoice_received", 6),
        ("2026-11", "invoice_sent", 1),
    ]


def test_filters_narrow_clients_and_kinds(office, usage):
    filters = UsageFilters(date(2026, 11, 1), date(2026, 11, 30), client_ids=[usage[0]], kinds=["invoice_sent"])
    view = report_views.report_view(actor=office.support, kind="usage", filters=filters)
    assert view.series == [("2026-11", "invoice_sent", 1)] and view.total_rows == 1


def test_every_operation_is_counted_and_only_the_first_rows_are_read(office, usage):
    filters = UsageFilters(date(2026, 10, 1), date(2026, 11, 30))
    view = report_views.report_view(actor=office.analyst, kind="usage_events", filters=filters, preview_rows=3)
    assert view.total_rows == 10 and len(view.preview) == 3
    assert view.header[0] == "Data i godzina"
    narrowed = UsageFilters(date(2026, 10, 1), date(2026, 11, 30), client_ids=[usage[1]])
    assert report_views.report_view(actor=office.analyst, kind="usage_events", filters=narrowed).total_rows == 4


def test_links_plot_clients_per_status(office):
    ids = seeding.add_clients(office, 3)
    seeding.set_link_status(ids[0], LinkStatus.linked)
    seeding.set_link_status(ids[1], LinkStatus.error)
    view = report_views.report_view(actor=office.analyst, kind="links")
    assert view.total_rows == 3
    assert view.series == [("not_linked", "", 1), ("linked", "", 1), ("error", "", 1)]


def test_the_certificate_calendar_plots_months(office):
    ids = seeding.add_clients(office, 1)
    soon = datetime(2027, 1, 10, tzinfo=UTC)
    seeding.add_certificate(office, ids[0], valid_to=soon, label="a")
    seeding.add_certificate(office, None, valid_to=soon + timedelta(days=3), label="b")
    april_in_warsaw = datetime(2027, 3, 31, 23, 30, tzinfo=UTC)
    seeding.add_certificate(office, None, valid_to=april_in_warsaw, label="c")
    view = report_views.report_view(actor=office.analyst, kind="certificates")
    assert view.series == [("2027-01", "", 2), ("2027-04", "", 1)]
    assert view.total_rows == 3


def test_bad_choices_are_refused_in_polish(office):
    with pytest.raises(InvalidInput, match="Nieznany raport"):
        report_views.report_view(actor=office.analyst, kind="nope")
    with pytest.raises(InvalidInput, match="wymaga zakresu dat"):
        report_views.report_view(actor=office.analyst, kind="usage")
    with pytest.raises(InvalidInput, match="wcześniejsza"):
        report_views.report_view(
            actor=office.analyst, kind="usage", filters=UsageFilters(date(2026, 11, 2), date(2026, 11, 1))
        )
