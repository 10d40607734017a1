"""Plotly figures for Przegląd and Raporty, built by pure functions: data in, `go.Figure` out, no Streamlit.

Every label goes through `t` (Polish by default, the page passes `dashboard.i18n.t`), dates show as DD.MM.RRRR and
numbers with a space for thousands and a decimal comma (`separators`). Tests read the traces directly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import plotly.graph_objects as go

from core.formatting import format_date, format_int
from core.services.usage.package import PackageUsage
from core.texts import render
from core.types import LinkStatus, ProblemClass, UsageKind

Translate = Callable[..., str]

STATUS_COLORS = {
    LinkStatus.linked: "#2e7d32",
    LinkStatus.degraded: "#f9a825",
    LinkStatus.action_required: "#ef6c00",
    LinkStatus.error: "#c62828",
    LinkStatus.not_linked: "#90a4ae",
    LinkStatus.unlinked: "#cfd8dc",
}
KIND_COLORS: dict[str, str] = {UsageKind.invoice_received: "#1565c0", UsageKind.invoice_sent: "#6a1b9a"}
BUDGET_COLOR = "#607d8b"
LIMIT_COLOR = "#c62828"
USED_COLOR = "#1565c0"
FORECAST_COLOR = "#ef6c00"
DATE_TICKS = "%d.%m"
# A bar's count above it, upright: "auto" turned the label of a short bar on its side (issue 11 §8).
COUNT_LABELS: dict[str, Any] = {"textposition": "outside", "textangle": 0, "cliponaxis": False}
DATE_HOVER = "%d.%m.%Y"


def polish(key: str, **values: Any) -> str:
    """`t` without Streamlit: the Polish text (tests and callers outside a page)."""
    return render(key, "pl", **values)


def month_label(value: str | date) -> str:
    """A month as MM.RRRR, from a date or a `YYYY-MM` label."""
    if isinstance(value, date):
        return f"{value:%m.%Y}"
    year, _, month = str(value).partition("-")
    return f"{month}.{year}" if month else str(value)


def _layout(figure: go.Figure, title: str, *, y_title: str = "", x_title: str = "") -> go.Figure:
    figure.update_layout(
        title={"text": title},
        separators=", ",  # decimal comma, space between thousands
        legend={"orientation": "h", "yanchor": "bottom", "y": -0.3, "xanchor": "left", "x": 0},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        hovermode="x unified",
        yaxis={"title": {"text": y_title}, "rangemode": "tozero", "tickformat": ",d"},
        xaxis={"title": {"text": x_title}},
    )
    return figure


def _whole_numbers(figure: go.Figure, largest: int) -> go.Figure:
    """Counts have no fractions: with few of them, one tick per unit (plotly would draw 0,5 steps)."""
    if largest <= 10:
        figure.update_yaxes(dtick=1, range=[0, max(largest, 1) * 1.1])
    return figure


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# --- Przegląd ---------------------------------------------------------------------------------------------------


def usage_burndown(
    package: PackageUsage, daily: Iterable[tuple[date, int]], *, today: date, t: Translate = polish
) -> go.Figure:
    """Cumulative usage of the package period against the even-pace budget line, the limit and the forecast.

    Traces, in order: used so far, even pace (0 at the period's start → the limit at its end), the limit, the
    forecast (from today's total to the month-end forecast, marked at the end) and, when the pace runs out of the
    package inside the period, the run-out day.
    """
    period = package.period
    last_day = period.end - timedelta(days=1)
    per_day: defaultdict[date, int] = defaultdict(int)
    for day, count in daily:
        per_day[day] += int(count)
    shown_until = min(max(today, period.start), last_day)
    days = _days(period.start, shown_until)
    cumulative, total = [], 0
    for day in days:
        total += per_day.get(day, 0)
        cumulative.append(total)
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=days, y=cumulative, name=t("charts.usage.used"), mode="lines+markers",
            line={"color": USED_COLOR, "width": 3}, marker={"size": 4},
        )
    )  # fmt: skip
    figure.add_trace(
        go.Scatter(
            x=[period.start, period.end], y=[0, package.limit], name=t("charts.usage.budget"), mode="lines",
            line={"color": BUDGET_COLOR, "dash": "dash"},
        )
    )  # fmt: skip
    figure.add_trace(
        go.Scatter(
            x=[period.start, period.end], y=[package.limit, package.limit], name=t("charts.usage.limit"),
            mode="lines", line={"color": LIMIT_COLOR, "width": 1},
        )
    )  # fmt: skip
    forecast_text = t("charts.usage.forecast_point", count=format_int(package.forecast))
    figure.add_trace(
        go.Scatter(
            x=[shown_until, period.end], y=[total, package.forecast], name=t("charts.usage.forecast"),
            mode="lines+markers+text", text=["", forecast_text], textposition="top left",
            line={"color": FORECAST_COLOR, "dash": "dot"}, marker={"size": [0, 10], "color": FORECAST_COLOR},
        )
    )  # fmt: skip
    if package.runs_out_on is not None:
        figure.add_trace(
            go.Scatter(
                x=[package.runs_out_on], y=[package.limit], name=t("charts.usage.runs_out"), mode="markers+text",
                text=[t("charts.usage.runs_out_point", date=format_date(package.runs_out_on))],
                textposition="bottom left", marker={"symbol": "x", "size": 12, "color": LIMIT_COLOR},
            )
        )  # fmt: skip
    title = t("charts.usage.title", first=format_date(period.start), last=format_date(last_day), name=package.name)
    _layout(figure, title, y_title=t("charts.usage.y"))
    figure.update_xaxes(tickformat=DATE_TICKS, hoverformat=DATE_HOVER)
    return figure


def link_status_chart(counts: Mapping[str, int], *, t: Translate = polish) -> go.Figure:
    """Clients per link status, in the order of the status lifecycle; statuses with no client are left out."""
    statuses = [status for status in LinkStatus if counts.get(status, 0)]
    figure = go.Figure(
        go.Bar(
            x=[t(f"link_status.{status}") for status in statuses],
            y=[counts[status] for status in statuses],
            marker={"color": [STATUS_COLORS[status] for status in statuses]},
            text=[format_int(counts[status]) for status in statuses],
            **COUNT_LABELS,
            name=t("charts.links.y"),
        )
    )
    _layout(figure, t("charts.links.title"), y_title=t("charts.links.y"))
    figure.update_layout(hovermode="closest", showlegend=False)
    return _whole_numbers(figure, max((counts[s] for s in statuses), default=0))


def problems_chart(
    rows: Iterable[tuple[date, str, int]], *, first: date, last: date, t: Translate = polish
) -> go.Figure:
    """New problems per day, stacked by class, over every day from `first` to `last` (days without one show 0)."""
    days = _days(first, last)
    by_class: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for day, problem_class, count in rows:
        by_class[problem_class][day] += int(count)
    figure = go.Figure()
    for problem_class in [c for c in ProblemClass if c in by_class] + [
        c for c in by_class if c not in set(ProblemClass)
    ]:
        figure.add_trace(
            go.Bar(x=days, y=[by_class[problem_class].get(day, 0) for day in days], name=_class_name(problem_class, t))
        )
    _layout(figure, t("charts.problems.title"), y_title=t("charts.problems.y"))
    figure.update_layout(barmode="stack")
    half_day = timedelta(hours=12)
    figure.update_xaxes(tickformat=DATE_TICKS, hoverformat=DATE_HOVER, range=[first - half_day, last + half_day])
    largest = max((sum(by_class[c].get(day, 0) for c in by_class) for day in days), default=0)
    return _whole_numbers(figure, largest)


def _class_name(problem_class: str, t: Translate) -> str:
    key = f"przeglad.class.{problem_class}"
    text = t(key)
    return problem_class if text == key else text


def certificate_calendar_chart(rows: Sequence[tuple[str | date, int]], *, t: Translate = polish) -> go.Figure:
    """Certificates ending per month (MM.RRRR), months without any left out."""
    figure = go.Figure(
        go.Bar(
            x=[month_label(month) for month, _ in rows],
            y=[count for _, count in rows],
            text=[format_int(count) for _, count in rows],
            **COUNT_LABELS,
            marker={"color": FORECAST_COLOR},
            name=t("charts.certificates.y"),
        )
    )
    _layout(figure, t("charts.certificates.title"), y_title=t("charts.certificates.y"))
    figure.update_layout(hovermode="closest", showlegend=False)
    figure.update_xaxes(type="category")
    return _whole_numbers(figure, max((count for _, count in rows), default=0))


def credential_timeline(
    events: Sequence[tuple[date, str, str, int]], *, today: date, t: Translate = polish
) -> go.Figure:
    """The credential calendar on a time axis: one row per kind, one marker per date (owner in the hover);
    past dates red, the next 30 days amber, later ones blue. `events` are (day, kind, who, days left)."""
    colours = [LIMIT_COLOR if days < 0 else FORECAST_COLOR if days <= 30 else USED_COLOR for *_, days in events]
    figure = go.Figure(
        go.Scatter(
            x=[day for day, *_ in events],
            y=[t(f"calendar.kind.{kind}") for _, kind, _, _ in events],
            text=[who for _, _, who, _ in events],
            mode="markers",
            marker={"size": 12, "color": colours, "symbol": "diamond"},
            hovertemplate="%{x|" + DATE_HOVER + "}<br>%{text}<extra></extra>",
            name=t("calendar.chart.title"),
        )
    )
    _layout(figure, t("calendar.chart.title"))
    figure.add_vline(x=today.isoformat(), line_dash="dot", line_color=BUDGET_COLOR)
    figure.update_layout(hovermode="closest", showlegend=False, yaxis={"rangemode": "normal", "tickformat": ""})
    figure.update_xaxes(tickformat=DATE_HOVER)
    return figure


# --- Raporty ----------------------------------------------------------------------------------------------------


def usage_report_chart(series: Iterable[tuple[str, str, int]], *, t: Translate = polish) -> go.Figure:
    """Operations per package month (MM.RRRR), one stacked bar series per operation kind."""
    months: list[str] = []
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for month, kind, count in series:
        if month not in months:
            months.append(month)
        counts[kind][month] = counts[kind].get(month, 0) + int(count)
    months.sort()
    figure = go.Figure()
    kinds = [k for k in UsageKind if k in counts] + [k for k in counts if k not in set(UsageKind)]
    for kind in kinds:
        key = f"usage_kind.{kind}"
        name = t(key)
        figure.add_trace(
            go.Bar(
                x=[month_label(m) for m in months],
                y=[counts[kind].get(m, 0) for m in months],
                name=kind if name == key else name,
                marker={"color": KIND_COLORS.get(kind)},
            )
        )
    _layout(figure, t("charts.report_usage.title"), y_title=t("charts.report_usage.y"))
    figure.update_layout(barmode="stack")
    figure.update_xaxes(type="category")
    return figure
