"""The overview board: banners and alerts, KPI tiles and four charts, redrawn by a fragment every minute.

Only the fragment re-runs on its timer; it re-reads the signed-in user each time, so a disabled account or an idle
session leaves through app.py as on any click. AppTest does not fire fragment timers: it draws the board in the
ordinary run, which is the same code.
"""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from core.formatting import format_date, format_datetime, format_int, format_percent, warsaw_today
from core.security import Actor, Permission
from core.services import overview
from core.services.campaign import tokens as token_campaign
from core.services.overview import Kpis
from core.services.usage.package import PackageUsage
from core.types import LinkStatus, ProblemClass, utcnow
from dashboard import charts
from dashboard.auth import idle_expired, session_actor
from dashboard.components.errors import attempt
from dashboard.i18n import t
from dashboard.nav import spec_for
from dashboard.przeglad.alerts import Alert, environment_alerts, package_alerts

REFRESH_SECONDS = 60
PROBLEM_DAYS = 30
CALENDAR_MONTHS = 12


def show_alert(alert: Alert) -> None:
    text = t(alert.key, **alert.values)
    if alert.level == "error":
        st.error(text, icon=":material/error:")
    else:
        st.warning(text, icon=":material/warning:")


def _joined(parts: list[str]) -> str:
    return " · ".join(parts)


def tiles(kpis: Kpis) -> None:
    clients_col, problems_col, certificates_col, package_col = st.columns(4, border=True)
    with clients_col:
        st.metric(t("przeglad.tile.clients"), format_int(kpis.clients))
        parts = [
            f"{t(f'link_status.{status}')}: {format_int(kpis.clients_by_status[status])}"
            for status in LinkStatus
            if kpis.clients_by_status.get(status)
        ]
        st.caption(_joined(parts) or t("przeglad.tile.no_clients"))
    with problems_col:
        st.metric(t("przeglad.tile.problems"), format_int(sum(kpis.problems_by_class.values())))
        classes = [c for c in ProblemClass if kpis.problems_by_class.get(c)]
        parts = [f"{t(f'przeglad.class.{c}')}: {format_int(kpis.problems_by_class[c])}" for c in classes]
        st.caption(_joined(parts) or t("przeglad.tile.no_problems"))
    with certificates_col:
        st.metric(t("przeglad.tile.certificates"), format_int(kpis.certificates_expiring))
        st.caption(t("przeglad.tile.certificates_help"))
    with package_col:
        package_tile(kpis.package)


def package_tile(package: PackageUsage) -> None:
    """Used of the limit, as a heading that wraps: `st.metric` cuts a long value short with an ellipsis."""
    st.markdown(f":small[{t('przeglad.tile.package')}]")
    value = t("przeglad.tile.package_value", used=format_int(package.used), limit=format_int(package.limit))
    st.markdown(f"## {value}", anchors=False)
    st.progress(min(1.0, package.share), text=t("przeglad.tile.package_share", percent=format_percent(package.share)))
    last = package.period.end - timedelta(days=1)
    st.caption(t("przeglad.tile.package_period", first=format_date(package.period.start), last=format_date(last)))


def chart_grid(actor: Actor, kpis: Kpis) -> None:
    today = warsaw_today()
    package = kpis.package
    last = package.period.end - timedelta(days=1)
    daily = attempt(lambda: overview.usage_per_day(actor=actor, first=package.period.start, last=last)) or []
    problems = attempt(lambda: overview.problems_over_time(actor=actor, days=PROBLEM_DAYS)) or []
    calendar = attempt(lambda: overview.certificate_calendar(actor=actor, months=CALENDAR_MONTHS)) or []
    st.plotly_chart(charts.usage_burndown(package, daily, today=today, t=t), key="przeglad_chart_usage")
    left, right = st.columns(2)
    with left:
        st.plotly_chart(charts.link_status_chart(kpis.clients_by_status, t=t), key="przeglad_chart_links")
    with right:
        st.plotly_chart(charts.certificate_calendar_chart(calendar, t=t), key="przeglad_chart_certificates")
        if not calendar:
            st.caption(t("przeglad.no_certificates", months=CALENDAR_MONTHS))
    first = today - timedelta(days=PROBLEM_DAYS - 1)
    st.plotly_chart(charts.problems_chart(problems, first=first, last=today, t=t), key="przeglad_chart_problems")


def sunset(actor: Actor) -> None:
    """The token-sunset countdown: days left and clients remaining, going to zero (issue 12 #5)."""
    remaining = attempt(lambda: token_campaign.remaining_count(actor=actor))
    if remaining is None:
        return
    with st.container(border=True, key="przeglad_sunset"):
        text_col, link_col = st.columns([4, 1], vertical_alignment="center")
        if remaining:
            date = format_date(token_campaign.SUNSET)
            text_col.markdown(
                f":material/timer: {t('przeglad.sunset', days=token_campaign.days_left(), date=date, count=remaining)}"
            )
        else:
            text_col.markdown(f":material/check_circle: {t('przeglad.sunset_done')}")
        if actor.can(Permission.manage_credentials):
            link_col.page_link(
                spec_for("wygaszanie.py").path, label=t("przeglad.sunset_open"), icon=":material/arrow_forward:"
            )


@st.fragment(run_every=REFRESH_SECONDS)
def board() -> None:
    # A timer tick is not user activity; an idle or disabled user goes back through app.py's gate.
    actor = session_actor()
    if actor is None or idle_expired():
        st.rerun(scope="app")
        return
    kpis = attempt(lambda: overview.kpis(actor=actor))
    if kpis is None:
        return
    for alert in [*environment_alerts(kpis.environments), *package_alerts(kpis.package)]:
        show_alert(alert)
    sunset(actor)
    tiles(kpis)
    chart_grid(actor, kpis)
    st.caption(t("przeglad.refreshed", time=format_datetime(utcnow(), seconds=True), seconds=REFRESH_SECONDS))
