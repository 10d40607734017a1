"""Raporty: every role; filters, the chart's data and the preview; CSV and XLSX exports, large ones via the worker."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from core.jobs.worker import drain
from core.services.reports import exports
from core.types import LinkStatus, UsageKind
from tests import seeding
from tests.dashboard.conftest import RAPORTY, figures, open_page, registered_pages, values

SEP, NOV = date(2026, 9, 15), date(2026, 11, 2)


@pytest.fixture
def on_raporty(signed_in):
    def sign_as(role: str):
        return open_page(signed_in(role), RAPORTY)

    return sign_as


@pytest.fixture
def usage(office):
    ids = seeding.add_clients(office, 2)
    seeding.seed_usage(
        office,
        {
            (ids[0], SEP, UsageKind.invoice_received): 2,
            (ids[0], NOV, UsageKind.invoice_received): 3,
            (ids[1], NOV, UsageKind.invoice_sent): 1,
        },
    )
    return ids


def choose_range(at, first: date, last: date):
    at.date_input(key="raporty_first").set_value(first)
    at.date_input(key="raporty_last").set_value(last)
    return at.run()


@pytest.mark.parametrize("role", ["manager", "support", "analyst"])
def test_every_role_may_export(signed_in, role):
    assert str(RAPORTY) in registered_pages(signed_in(role))


def test_the_usage_report_previews_and_plots_the_chosen_range(on_raporty, usage):
    at = choose_range(on_raporty("analyst"), date(2026, 9, 1), date(2026, 11, 30))
    assert at.selectbox(key="raporty_kind").value == "usage"
    (figure,) = figures(at)
    traces = {trace["name"]: trace for trace in figure["data"]}
    assert traces["faktura odebrana"]["x"] == ["09.2026", "11.2026"] and traces["faktura odebrana"]["y"] == [2, 3]
    assert traces["faktura wysłana"]["y"] == [0, 1]
    assert "Podgląd: 3 z 3 wierszy." in values(at.caption)
    preview = at.dataframe[0].value
    assert list(preview.columns) == ["NIP", "Nazwa", "Miesiąc pakietu", "Rodzaj operacji", "Liczba operacji"]
    assert sorted(preview["Liczba operacji"].tolist()) == ["1", "2", "3"]


def test_filters_narrow_clients_and_kinds(on_raporty, usage):
    at = choose_range(on_raporty("analyst"), date(2026, 9, 1), date(2026, 11, 30))
    at.multiselect(key="raporty_clients").select(usage[0]).run()
    assert "Podgląd: 2 z 2 wierszy." in values(at.caption)
    at.multiselect(key="raporty_kinds").select("invoice_sent").run()
    assert "Raport nie ma wierszy dla wybranych filtrów." in values(at.info)


def test_the_default_range_starts_with_the_previous_month(on_raporty):
    at = on_raporty("analyst")
    first, last = at.date_input(key="raporty_first").value, at.date_input(key="raporty_last").value
    assert first.day == 1 and (last - first).days < 62 and last >= first


def test_the_analyst_exports_the_usage_report_as_xlsx(on_raporty, usage):
    at = choose_range(on_raporty("analyst"), date(2026, 9, 1), date(2026, 11, 30))
    assert at.radio(key="raporty_format").value == "xlsx"
    at.button(key="raporty_export_prepare").click().run()
    assert not at.error
    button = at.download_button(key="raporty_export_download")
    assert button.label == "Pobierz uzycie_20260901-20261130.xlsx"
    assert "uzycie_20260901-20261130.xlsx: 3 wiersze." in values(at.caption)
    sheet = load_workbook(io.BytesIO(at.session_state["raporty_export_data"])).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["NIP", "Nazwa", "Miesiąc pakietu", "Rodzaj operacji", "Kod rodzaju", "Liczba operacji"]
    assert sorted((r[1], r[2], r[3], r[4], r[5]) for r in rows[1:]) == [
        ("Firma 01", "2026-09", "faktura odebrana", "invoice_received", 2),
        ("Firma 01", "2026-11", "faktura odebrana", "invoice_received", 3),
        ("Firma 02", "2026-11", "faktura wysłana", "invoice_sent", 1),
    ]
    at.button(key="raporty_export_dismiss").click().run()
    assert "raporty_export_data" not in at.session_state and not at.download_button


def test_the_csv_opens_in_polish_excel(on_raporty, usage):
    at = choose_range(on_raporty("support"), date(2026, 9, 1), date(2026, 11, 30))
    at.radio(key="raporty_format").set_value("csv").run()
    assert at.button(key="raporty_export_prepare").label == "Przygotuj eksport CSV"
    at.button(key="raporty_export_prepare").click().run()
    data = at.session_state["raporty_export_data"]
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines()[0] == (
        "NIP;Nazwa;Miesiąc pakietu;Rodzaj operacji;Kod rodzaju;Liczba operacji"
    )


def test_a_large_export_is_built_by_the_worker_and_offered_when_ready(on_raporty, usage, monkeypatch):
    monkeypatch.setattr(exports, "SMALL_EXPORT_ROWS", 1)
    at = choose_range(on_raporty("analyst"), date(2026, 9, 1), date(2026, 11, 30))
    at.selectbox(key="raporty_kind").select("usage_events").run()
    at.button(key="raporty_export_prepare").click().run()
    assert not at.download_button
    assert "Zadanie czeka na wykonawcę…" in [bar.text for bar in at.get("progress")]
    assert at.session_state["raporty_export"]["job_id"]
    assert drain() == 1
    at.run()
    button = at.download_button(key="raporty_export_download")
    assert button.label == "Pobierz operacje_20260901-20261130.xlsx"
    assert "operacje_20260901-20261130.xlsx: 6 wierszy." in values(at.caption)


def test_a_reversed_range_is_refused_in_polish(on_raporty, usage):
    at = choose_range(on_raporty("analyst"), date(2026, 11, 30), date(2026, 9, 1))
    assert values(at.error) == ["Popraw dane:\n- Data końcowa jest wcześniejsza niż początkowa."]
    at.button(key="raporty_export_prepare").click().run()
    assert values(at.error).count("Popraw dane:\n- Data końcowa jest wcześniejsza niż początkowa.") == 2
    assert not at.download_button


def test_the_links_report_has_no_filters_and_translated_statuses(on_raporty, office):
    ids = seeding.add_clients(office, 2)
    seeding.set_link_status(ids[0], LinkStatus.linked)
    at = on_raporty("analyst")
    at.selectbox(key="raporty_kind").select("links").run()
    assert "Ten raport pokazuje stan bieżący wszystkich klientów; nie ma filtrów." in values(at.caption)
    assert not at.date_input
    assert sorted(at.dataframe[0].value["Status połączenia"].tolist()) == ["niepołączony", "połączony"]
    (figure,) = figures(at)
    assert figure["data"][0]["x"] == ["niepołączony", "połączony"]
    at.button(key="raporty_export_prepare").click().run()
    assert at.download_button(key="raporty_export_download").label == "Pobierz polaczenia.xlsx"
