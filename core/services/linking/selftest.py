"""The connection self-test of one client (DESIGN.md §3 G.19), step by step with timings.

DNS/TLS → KSeF availability → public keys → challenge → authentication → redeem → limits → a one-day metadata probe.
The first failing step names the cause and the fix; later steps are not run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from core import audit
from core.db import session_scope
from core.ksef import session_cache
from core.ksef.errors import KsefFailure
from core.ksef.limiter import store_limits
from core.ksef.transcript import Transcript
from core.security import Actor, Permission
from core.services.linking.connection import KsefCall, LinkFacts, authenticator, facts_for, open_ksef
from core.services.problems import explain
from core.texts import Text
from core.types import ProblemClass, utcnow

STEPS = ("reachability", "availability", "public_keys", "challenge", "auth", "redeem", "session", "limits",
         "metadata_probe")  # fmt: skip


def step_name(step: str) -> str:
    return Text(f"selftest.step.{step}")


@dataclass
class StepResult:
    step: str
    name: str
    ok: bool
    milliseconds: float
    message: str = ""
    cause: str = ""
    fix: str = ""


@dataclass
class SelfTestReport:
    client_id: int
    steps: list[StepResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps)

    @property
    def first_failure(self) -> StepResult | None:
        return next((s for s in self.steps if not s.ok), None)


def _failed(step: str, started: float, failure: KsefFailure) -> StepResult:
    explanation = explain(failure.problem_class)
    assert explanation is not None
    return StepResult(
        step,
        step_name(step),
        False,
        (time.perf_counter() - started) * 1000,
        failure.message,
        explanation.cause,
        explanation.fix,
    )


def run_self_test(*, actor: Actor, client_id: int) -> SelfTestReport:
    actor.require(Permission.run_operations)
    facts = facts_for(actor.office_id, client_id)
    report = SelfTestReport(client_id)
    with open_ksef(facts, actor, transcript=Transcript()) as call:
        _run_steps(report, facts, call)
    with session_scope(write=True) as session:
        failure = report.first_failure
        audit.record(
            session, actor, "selftest.run", f"client:{client_id}", ok=report.ok, failed=failure.step if failure else ""
        )
    return report


def _run_steps(report: SelfTestReport, facts: LinkFacts, call: KsefCall) -> None:
    gateway = call.gateway

    def availability() -> None:
        status = gateway.lighthouse_status()
        if status.get("status") not in (None, "AVAILABLE"):
            raise KsefFailure(ProblemClass.ksef_unavailable, Text("selftest.lighthouse", status=status.get("status")))

    steps: list[tuple[str, Callable[[], Any]]] = [
        ("reachability", gateway.check_reachable),
        ("availability", availability),
        ("public_keys", lambda: gateway.public_key_certificates(refresh=True)),
    ]
    for step, action in steps:
        if not _timed(report, step, action):
            return
    access = _authenticate(report, facts, call)
    if access is None:
        return

    def limits() -> None:
        store_limits(facts.environment, facts.nip, gateway.rate_limits(access))

    def probe() -> None:
        now = utcnow()
        filters = {
            "subjectType": "Subject1",
            "dateRange": {
                "dateType": "PermanentStorage",
                "from": (now - timedelta(days=1)).isoformat(),
                "to": now.isoformat(),
            },
        }
        gateway.query_metadata(access, filters, page_size=10)

    for step, action in (("limits", limits), ("metadata_probe", probe)):
        if not _timed(report, step, action):
            return


def _timed(report: SelfTestReport, step: str, action: Callable[[], Any]) -> bool:
    started = time.perf_counter()
    try:
        action()
    except KsefFailure as failure:
        report.steps.append(_failed(step, started, failure))
        return False
    report.steps.append(StepResult(step, step_name(step), True, (time.perf_counter() - started) * 1000))
    return True


def _authenticate(report: SelfTestReport, facts: LinkFacts, call: KsefCall) -> str | None:
    """A fresh authentication when the method allows it (so every step really runs), else the signed session."""
    timings: list[tuple[str, float]] = []
    authenticate = authenticator(facts, call.gateway, call.actor, on_step=lambda name, ms: timings.append((name, ms)))
    started = time.perf_counter()
    try:
        if authenticate is None:
            session: list[str] = []
            return session[0] if _timed(report, "session", lambda: session.append(call.access_token())) else None
        tokens = authenticate()
    except KsefFailure as failure:
        for name, ms in timings:
            if name in STEPS:
                report.steps.append(StepResult(name, step_name(name), True, ms))
        done = {s.step for s in report.steps}
        failed_step = next(s for s in ("challenge", "auth", "redeem") if s not in done)
        report.steps.append(_failed(failed_step, started, failure))
        return None
    for name, ms in timings:
        if name in ("challenge", "auth", "redeem"):
            report.steps.append(StepResult(name, step_name(name), True, ms))
    session_cache.store(facts.client_id, facts.credential_id, tokens)
    return tokens.access_token
