"""The demo office tells the truth about a healthy office (issue 11 §7): what `make run` seeds, against the simulator
over HTTP, as a newcomer finds it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core import db
from core.demo.office import DEMO_SENDER, DEMO_USERS, load_demo_definition, seed_demo
from core.formatting import warsaw_today
from core.models import Problem, UsageOfficeDaily, User
from core.services.notifications.settings import smtp_config
from core.services.usage.package import office_package_usage
from core.settings import get_settings
from core.types import ProblemClass, ProblemStatus
from dashboard.przeglad.alerts import package_alerts

pytestmark = pytest.mark.slow


def test_the_demo_office_looks_like_a_healthy_office_with_one_network_problem_and_mail(sqlite_db, sim):
    definition = load_demo_definition()
    assert any(entry.get("simulatorFault") for entry in definition["clients"])
    seeded = seed_demo()
    office_id = seeded["office_id"]

    usage = office_package_usage(office_id)
    # About two thirds into the period, roughly half the limit used, the month's forecast under the limit.
    assert 17 <= (warsaw_today() - usage.period.start).days <= 23
    assert 0.25 <= usage.share <= 0.6, usage
    assert usage.used < usage.forecast <= 0.75 * usage.limit and usage.runs_out_on is None
    assert package_alerts(usage) == []
    with db.session_scope() as session:
        days = session.execute(
            sa.select(sa.func.count(sa.distinct(UsageOfficeDaily.day))).where(UsageOfficeDaily.office_id == office_id)
        ).scalar_one()
        open_classes = set(
            session.execute(
                sa.select(Problem.problem_class).where(
                    Problem.office_id == office_id, Problem.status == ProblemStatus.open
                )
            ).scalars()
        )
        emails = dict(session.execute(sa.select(User.username, User.email).where(User.office_id == office_id)).all())
    assert days > 30  # operations spread over the office's past, not all on the day of the first start
    assert ProblemClass.network in open_classes
    assert all(emails[name].endswith("@biuro-przyklad.example.pl") for name, _, _ in DEMO_USERS)
    smtp = smtp_config(office_id)
    assert (smtp.host, smtp.port, smtp.security, smtp.sender) == ("127.0.0.1", get_settings().mail_port, "none",
                                                                   DEMO_SENDER)  # fmt: skip

    again = seed_demo()  # a second `make run` keeps everything as it is
    assert not again["created"] and office_package_usage(office_id).limit == usage.limit
