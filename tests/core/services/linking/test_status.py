"""derive_status: every link status from the facts the console holds (DESIGN.md §3 A.4), rule by rule in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.models import Client, Credential, Link
from core.services.linking.status import EXPIRY_WARNING, REAUTH_WARNING, derive_status
from core.types import AuthMethod, KsefEnvironment, LinkStatus, ProblemClass

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def client(**changes: Any) -> Client:
    return Client(id=1, office_id=1, nip="5265877635", name="Firma", **changes)


def healthy_link(**changes: Any) -> Link:
    """A token link that worked, with the key verified and both rights: `linked` unless a test changes something."""
    values: dict[str, Any] = {
        "id": 1,
        "client_id": 1,
        "environment": KsefEnvironment.SIM,
        "auth_method": AuthMethod.ksef_token,
        "last_success_at": NOW - timedelta(hours=1),
        "key_verified_at": NOW - timedelta(days=1),
        "permissions": ["InvoiceRead", "InvoiceWrite"],
    }
    return Link(**(values | changes))


def credential(valid_to: datetime | None) -> Credential:
    return Credential(id=1, office_id=1, client_id=1, kind=AuthMethod.ksef_certificate, valid_to=valid_to)


def status(
    *,
    archived: bool = False,
    link: Link | None = None,
    cred: Credential | None = None,
    problems: set[str] = frozenset(),
) -> LinkStatus:
    return derive_status(
        client=client(archived_at=NOW if archived else None),
        link=link,
        credential=cred,
        problems=set(problems),
        now=NOW,
    )


def test_a_healthy_link_is_linked():
    assert status(link=healthy_link()) is LinkStatus.linked
    assert status(link=healthy_link(), cred=credential(NOW + EXPIRY_WARNING + timedelta(days=1))) is LinkStatus.linked


def test_owner_stands_for_both_rights():
    assert status(link=healthy_link(permissions=["Owner"], send_enabled=True)) is LinkStatus.linked


def test_an_archived_client_is_unlinked_whatever_its_link():
    assert status(archived=True, link=healthy_link()) is LinkStatus.unlinked
    assert status(archived=True) is LinkStatus.unlinked


def test_no_link_is_not_linked():
    assert status() is LinkStatus.not_linked


@pytest.mark.parametrize(
    "problem", [ProblemClass.auth_required, ProblemClass.invalid_credentials, ProblemClass.missing_rights]
)
def test_a_problem_a_person_must_solve_requires_action(problem):
    assert status(link=healthy_link(), problems={problem}) is LinkStatus.action_required
    assert status(link=healthy_link(), problems={problem, ProblemClass.network}) is LinkStatus.action_required


def test_an_expired_credential_requires_action():
    assert status(link=healthy_link(), cred=credential(NOW - timedelta(seconds=1))) is LinkStatus.action_required


@pytest.mark.parametrize("method", [AuthMethod.qualified_signature, AuthMethod.trusted_profile])
def test_a_signature_link_past_its_reauthentication(method):
    """Worked once → a person must sign again; never worked → still not linked."""
    overdue = {"auth_method": method, "reauth_due_at": NOW - timedelta(minutes=1)}
    assert status(link=healthy_link(**overdue)) is LinkStatus.action_required
    assert status(link=healthy_link(**overdue, last_success_at=None)) is LinkStatus.not_linked
    unknown = {"auth_method": method, "reauth_due_at": None}
    assert status(link=healthy_link(**unknown)) is LinkStatus.action_required


@pytest.mark.parametrize(
    "problem", [ProblemClass.network, ProblemClass.ksef_unavailable, ProblemClass.rate_limited, ProblemClass.internal]
)
def test_a_failed_last_attempt_is_an_error(problem):
    assert status(link=healthy_link(), problems={problem}) is LinkStatus.error


@pytest.mark.parametrize("missing", ["last_success_at", "key_verified_at"])
def test_a_link_that_never_worked_or_whose_key_is_unverified_is_not_linked(missing):
    assert status(link=healthy_link(**{missing: None})) is LinkStatus.not_linked


@pytest.mark.parametrize("rights", [[], ["InvoiceWrite"], ["CredentialsRead"]])
def test_without_the_right_to_read_action_is_required(rights):
    assert status(link=healthy_link(permissions=rights)) is LinkStatus.action_required


def test_a_credential_close_to_expiry_is_degraded():
    soon = credential(NOW + EXPIRY_WARNING - timedelta(minutes=1))
    assert status(link=healthy_link(), cred=soon) is LinkStatus.degraded


def test_sending_without_the_right_to_write_is_degraded():
    link = healthy_link(send_enabled=True, permissions=["InvoiceRead"])
    assert status(link=link) is LinkStatus.degraded
    assert status(link=healthy_link(send_enabled=False, permissions=["InvoiceRead"])) is LinkStatus.linked


@pytest.mark.parametrize("method", [AuthMethod.qualified_signature, AuthMethod.trusted_profile])
def test_a_signature_link_close_to_reauthentication_is_degraded(method):
    due = {"auth_method": method}
    assert status(link=healthy_link(**due, reauth_due_at=NOW + REAUTH_WARNING - timedelta(minutes=1))) is (
        LinkStatus.degraded
    )
    assert status(link=healthy_link(**due, reauth_due_at=NOW + REAUTH_WARNING + timedelta(minutes=1))) is (
        LinkStatus.linked
    )


def test_the_rules_apply_in_order():
    """An archived client wins over everything; a person's action wins over a transient error; an error wins over
    a link that never worked."""
    expired = credential(NOW - timedelta(days=1))
    assert status(archived=True, link=healthy_link(), cred=expired) is LinkStatus.unlinked
    assert status(link=healthy_link(), cred=expired, problems={ProblemClass.network}) is LinkStatus.action_required
    assert status(link=healthy_link(last_success_at=None), problems={ProblemClass.network}) is LinkStatus.error
