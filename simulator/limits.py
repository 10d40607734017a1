"""Limits (PROTOCOL.md §12): effective context, subject and API rate limits, and their TEST-only overrides.

Answers use the 2.8-2.9 superset of §19 (`collectiveIdentifier` in context limits; `anonymous`, `global`,
`onlineSessionClose`, `batchSessionClose` in rate limits), which 2.7 clients ignore and 2.9 clients require.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from simulator import certificates
from simulator.api import Call, empty_response, endpoint, json_response
from simulator.errors import validation_error
from simulator.ratelimit import GROUP_ORDER
from simulator.sessions import DEFAULT_LIMITS

BATCH_DEFAULTS = {"maxInvoiceSizeInMB": 1, "maxInvoiceWithAttachmentSizeInMB": 3, "maxInvoices": 10_000}
COLLECTIVE_DEFAULTS = {"maxInvoices": 10_000}  # not published; the per-session invoice limit is the closest figure


def effective_rate_limits(call: Call) -> dict[str, dict[str, int]]:
    context = call.sim.state.contexts.get(call.require_principal().context_nip)
    override = context.rate_limits if context is not None else None
    limiter = call.sim.limiter
    return {
        group: dict(zip(("perSecond", "perMinute", "perHour"), limiter.limits_for(group, override), strict=True))
        for group in GROUP_ORDER
    }


@endpoint("GET", "/rate-limits")
async def rate_limits(call: Call) -> Response:
    return json_response(effective_rate_limits(call))


@endpoint("GET", "/limits/context")
async def context_limits(call: Call) -> Response:
    context = call.sim.context(call.require_principal().context_nip)
    override = context.session_limits or {}
    return json_response(
        {
            "onlineSession": {**DEFAULT_LIMITS, **(override.get("onlineSession") or {})},
            "batchSession": {**BATCH_DEFAULTS, **(override.get("batchSession") or {})},
            "collectiveIdentifier": {**COLLECTIVE_DEFAULTS, **(override.get("collectiveIdentifier") or {})},
        }
    )


@endpoint("GET", "/limits/subject")
async def subject_limits(call: Call) -> Response:
    enrollments, active = certificates.limits_for(call.sim, call.require_principal().identity)
    return json_response({"enrollment": {"maxEnrollments": enrollments}, "certificate": {"maxCertificates": active}})


@endpoint("POST", "/testdata/limits/context/session")
async def set_session_limits(call: Call) -> Response:
    body = await call.json()
    context = call.sim.context(call.require_principal().context_nip)
    context.session_limits = {
        key: body[key] for key in ("onlineSession", "batchSession", "collectiveIdentifier") if key in body
    }
    call.sim.touch()
    return empty_response(200)


@endpoint("DELETE", "/testdata/limits/context/session")
async def reset_session_limits(call: Call) -> Response:
    call.sim.context(call.require_principal().context_nip).session_limits = None
    call.sim.touch()
    return empty_response(200)


@endpoint("POST", "/testdata/limits/subject/certificate")
async def set_subject_limits(call: Call) -> Response:
    body = await call.json()
    identity = call.require_principal().identity
    kind = body.get("subjectIdentifierType") or identity.type
    limits: dict[str, Any] = {}
    if (body.get("enrollment") or {}).get("maxEnrollments") is not None:
        limits["maxEnrollments"] = body["enrollment"]["maxEnrollments"]
    if (body.get("certificate") or {}).get("maxCertificates") is not None:
        limits["maxCertificates"] = body["certificate"]["maxCertificates"]
    call.sim.state.subject_limits[kind] = limits
    call.sim.touch()
    return empty_response(200)


@endpoint("DELETE", "/testdata/limits/subject/certificate")
async def reset_subject_limits(call: Call) -> Response:
    call.sim.state.subject_limits.clear()
    call.sim.touch()
    return empty_response(200)


INT32_MAX = 2**31 - 1  # the schema's format: int32
WINDOW_KEYS = ("perSecond", "perMinute", "perHour")


def _rate_limit_override(body: dict[str, Any]) -> dict[str, list[int]]:
    """Known groups only, each window -1 (no limit, as `GET /rate-limits` reports it) to int32; 21405 otherwise."""
    override = {}
    for group, values in body["rateLimits"].items():
        if group not in GROUP_ORDER:
            raise validation_error(f"rateLimits.{group}: nieznana grupa limitów; znane: {', '.join(GROUP_ORDER)}.")
        for key in WINDOW_KEYS:
            value = values[key] if isinstance(values, dict) else None
            if isinstance(value, bool) or not isinstance(value, int) or not -1 <= value <= INT32_MAX:
                raise validation_error(f"rateLimits.{group}.{key}: wymagana liczba całkowita od -1 do {INT32_MAX}.")
        override[group] = [values[key] for key in WINDOW_KEYS]
    return override


@endpoint("POST", "/testdata/rate-limits")
async def set_rate_limits(call: Call) -> Response:
    override = _rate_limit_override(await call.json())
    call.sim.context(call.require_principal().context_nip).rate_limits = override
    call.sim.touch()
    return empty_response(200)


@endpoint("DELETE", "/testdata/rate-limits")
async def reset_rate_limits(call: Call) -> Response:
    call.sim.context(call.require_principal().context_nip).rate_limits = None
    call.sim.touch()
    return empty_response(200)


@endpoint("POST", "/testdata/rate-limits/production")
async def production_rate_limits(call: Call) -> Response:
    """Production values on purpose: the same as no override here, since the simulator's defaults are production."""
    call.sim.context(call.require_principal().context_nip).rate_limits = None
    call.sim.touch()
    return empty_response(200)
