"""The plotly figure builders and the overview's alerts, read directly (AppTest does not model plotly)."""

from __future__ import annotations

from datetime import date

import pytest

from core.services.usage.package import PackageUsage
from core.services.usage.periods import Period
from core.texts.en import TEXTS as EN
from core.texts.pl import TEXTS as PL
from dashboard import charts
from dashboard.przeglad.alerts import environment_alerts, package_alerts

NOVEMBER = Period(date(2026, 11, 1), date(2026, 12, 1))


def usage(used: int = 300, limit: int = 1000, forecast: int = 600, runs_out: date | None = None, **kw) -> PackageUsage:
    values = {
        "name": "Biuro M", "limit": limit, "billing_day": 1, "policy": "warn", "period": NOVEMBER, "used": used,
        "used_received": used, "used_sent": 0, "elapsed_days": 15.0, "forecast": forecast, "runs_out_on": runs_out,
    }  # fmt: skip
    values.update(kw)
    return PackageUsage(**values)


def english(key: str, **values) -> str:
    return EN[key].format(**values) if values else EN[key]


def by_name(figure):
    return {trace.name: trace for trace in figure.data}


def test_burndown_accumulates_days_and_draws_the_budget_line_and_the_forecast():
    daily = [(date(2026, 11, 1), 100), (date(2026, 11, 3), 50), (date(2026, 11, 5), 150)]
    figure = charts.usage_burndown(usage(used=300, forecast=1800), daily, today=date(2026, 11, 5))
    traces = by_name(figure)
    assert list(traces) == [
        "Wykorzystane (narastająco)", "Równe tempo (budżet)", "Limit pakietu", "Prognoza na koniec okresu",
    ]  # fmt: skip
    used = traces["Wykorzystane (narastająco)"]
    assert list(used.x) == [date(2026, 11, d) for d in range(1, 6)]  # days without operations too
    assert list(used.y) == [100, 100, 150, 150, 300]
    budget = traces["Równe tempo (budżet)"]
    assert list(budget.x) == [date(2026, 11, 1), date(2026, 12, 1)] and list(budget.y) == [0, 1000]
    assert list(traces["Limit pakietu"].y) == [1000, 1000]
    forecast = traces["Prognoza na koniec okresu"]
    assert list(forecast.x) == [date(2026, 11, 5), date(2026, 12, 1)] and list(forecast.y) == [300, 1800]
    assert forecast.text[-1] == "prognoza: 1 800"  # Polish thousands
    assert figure.layout.title.text == "Pakiet „Biuro M” w okresie 01.11.2026–30.11.2026"
    assert figure.layout.separators == ", " and figure.layout.xaxis.hoverformat == "%d.%m.%Y"


def test_burndown_marks_the_run_out_day_only_when_the_pace_runs_out():
    assert "Wyczerpanie pakietu" not in by_name(charts.usage_burndown(usage(), [], today=date(2026, 11, 15)))
    figure = charts.usage_burndown(usage(runs_out=date(2026, 11, 24)), [], today=date(2026, 11, 15))
    point = by_name(figure)["Wyczerpanie pakietu"]
    assert list(point.x) == [date(2026, 11, 24)] and list(point.y) == [1000]
    assert list(point.text) == ["wyczerpanie: 24.11.2026"]


def test_burndown_stops_at_the_period_end_and_speaks_english_when_asked():
    figure = charts.usage_burndown(usage(), [(date(2026, 11, 30), 5)], today=date(2026, 12, 10), t=english)
    traces = by_name(figure)
    assert traces["Used (cumulative)"].x[-1] == date(2026, 11, 30)
    assert "Even pace (budget)" in traces and figure.layout.yaxis.title.text == "Operations"


def test_link_statuses_in_lifecycle_order_with_polish_names_and_no_empty_bars():
    figure = charts.link_status_chart({"error": 2, "linked": 5, "degraded": 0, "not_linked": 1})
    (bar,) = figure.data
    assert list(bar.x) == ["niepołączony", "połączony", "błąd"]
    assert list(bar.y) == [1, 5, 2]
    assert list(bar.marker.color) == [charts.STATUS_COLORS[s] for s in ("not_linked", "linked", "error")]
    assert figure.layout.title.text == "Klienci według statusu połączenia"
    assert figure.layout.yaxis.dtick == 1  # whole clients
    # Counts stand upright above their bars: "auto" turned a short bar's label on its side (issue 11 §8).
    assert (bar.textposition, bar.textangle, bar.cliponaxis) == ("outside", 0, False)


def test_problems_stack_per_class_over_every_day():
    rows = [(date(2026, 11, 2), "network", 2), (date(2026, 11, 3), "missing_rights", 1)]
    figure = charts.problems_chart(rows, first=date(2026, 11, 1), last=date(2026, 11, 3))
    traces = by_name(figure)
    assert list(traces) == ["brak uprawnień", "problem z połączeniem"]  # ProblemClass order
    assert list(traces["problem z połączeniem"].y) == [0, 2, 0]
    assert list(traces["brak uprawnień"].x) == [date(2026, 11, d) for d in (1, 2, 3)]
    assert figure.layout.barmode == "stack"


def test_certificate_calendar_labels_months_the_polish_way():
    figure = charts.certificate_calendar_chart([(date(2026, 12, 1), 3), ("2027-02", 1)])
    (bar,) = figure.data
    assert list(bar.x) == ["12.2026", "02.2027"] and list(bar.y) == [3, 1]
    assert figure.layout.title.text == "Wygasające certyfikaty KSeF według miesięcy"
    assert (bar.textposition, bar.textangle) == ("outside", 0)


def test_usage_report_stacks_kinds_per_month():
    series = [("2026-11", "invoice_sent", 2), ("2026-10", "invoice_received", 5), ("2026-11", "invoice_received", 7)]
    traces = by_name(charts.usage_report_chart(series))
    assert list(traces) == ["faktura wysłana", "faktura odebrana"]  # UsageKind order
    assert list(traces["faktura odebrana"].x) == ["10.2026", "11.2026"]
    assert list(traces["faktura odebrana"].y) == [5, 7]
    assert list(traces["faktura wysłana"].y) == [0, 2]


def test_package_alerts_at_80_and_100_percent_and_the_run_out_day():
    assert package_alerts(usage(used=700)) == []
    warn = package_alerts(usage(used=800))
    assert [(a.level, a.key) for a in warn] == [("warning", "przeglad.alert.package_80")]
    assert warn[0].values["percent"] == "80 %"
    out = package_alerts(usage(used=1000, runs_out=date(2026, 11, 20)))
    assert [(a.level, a.key) for a in out] == [("error", "przeglad.alert.package_100")]
    held = package_alerts(usage(used=1200, policy="hold"))
    assert [a.key for a in held] == ["przeglad.alert.package_100_hold"]
    early = package_alerts(usage(used=500, forecast=1400, runs_out=date(2026, 11, 22)))
    assert [(a.key, a.values["date"]) for a in early] == [("przeglad.alert.runs_out", "22.11.2026")]
    sentence = PL["przeglad.alert.runs_out"].format(**early[0].values)
    assert sentence.startswith("Przy obecnym tempie pakiet skończy się 22.11.2026")
    assert package_alerts(usage(limit=0, used=5)) == []


def test_environment_banners_when_ksef_is_not_available():
    alerts = environment_alerts({"PROD": "AVAILABLE", "SIM": "FAILURE", "TEST": "MAINTENANCE", "DEMO": "ODD"})
    assert [(a.level, a.key, a.values["environment"]) for a in alerts] == [
        ("error", "przeglad.ksef.other", "DEMO"),
        ("error", "przeglad.ksef.FAILURE", "SIM"),
        ("warning", "przeglad.ksef.MAINTENANCE", "TEST"),
    ]


@pytest.mark.parametrize("texts", [PL, EN])
def test_every_dynamic_key_the_pages_build_exists(texts):
    from core.types import InvoiceStatus, KsefEnvironment, NotificationKind, PackagePolicy, ProblemClass, UsageKind
    from dashboard.przeglad.alerts import KNOWN_KSEF_STATES

    needed = {f"przeglad.class.{c}" for c in ProblemClass} | {f"faktury.status.{s}" for s in InvoiceStatus}
    needed |= {f"przeglad.ksef.{s}" for s in (*KNOWN_KSEF_STATES, "other")}
    needed |= {f"przeglad.alert.{a}" for a in ("package_80", "package_100", "package_100_hold", "runs_out")}
    needed |= {f"usage_kind.{k}" for k in UsageKind} | {f"notification_kind.{k}" for k in NotificationKind}
    needed |= {f"environment.{e}" for e in KsefEnvironment} | {f"ustawienia.policy.{p}" for p in PackagePolicy}
    needed |= {f"faktury.direction.{d}" for d in ("Subject1", "Subject2")}
    needed |= {f"report.title.{r}" for r in ("usage", "usage_events", "links", "certificates")}
    needed |= {f"ustawienia.smtp.security.{s}" for s in ("none", "starttls", "tls")}
    for status in ("accepted", "duplicate", "rejected", "failed"):
        needed |= {f"faktury.send.summary.{status}.{form}" for form in ("one", "few", "many")}
    assert sorted(needed - set(texts)) == []
