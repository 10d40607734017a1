"""DESIGN.md §9 / issue 11 §1: a new credential, method or key is tried first and replaces the current one only when
it works; a failed attempt leaves the client's link exactly as it was and says so beside it."""

from __future__ import annotations

import sqlalchemy as sa

from core import db
from core.models import Link, Problem
from core.services.linking import credentials, links
from core.services.linking.detail import client_history
from core.services.linking.links import LinkRequest
from core.types import AuthMethod, LinkStatus, ProblemClass
from tests.linking import link_with_token, office_certificate
from tests.simulated import seed_clients

TOKEN = LinkRequest(auth_method=AuthMethod.ksef_token)


def _link(client_id: int) -> tuple[str, int | None, str]:
    with db.session_scope() as session:
        link = session.execute(
            sa.select(Link).where(Link.client_id == client_id, Link.unlinked_at.is_(None))  # type: ignore[union-attr]
        ).scalar_one()
        return link.auth_method, link.credential_id, link.company_key


def _open_problems(client_id: int) -> list[str]:
    with db.session_scope() as session:
        return list(
            session.execute(
                sa.select(Problem.problem_class).where(Problem.client_id == client_id, Problem.status == "open")
            ).scalars()
        )


def test_a_failing_new_method_keeps_the_working_link(sim, office):
    seeded = seed_clients(sim, office, ["rights_missing"])
    client_id = seeded.ids["rights_missing"]
    # The client works through its own token (a fresh one with the rights; it never granted the office any).
    good = sim.create_token(seeded.nips["rights_missing"], ["InvoiceRead", "InvoiceWrite"])
    credentials.add_ksef_token(actor=office.support, client_id=client_id, token=good["token"])
    assert links.connect_client(actor=office.support, client_id=client_id, request=TOKEN).ok
    before = _link(client_id)

    request = LinkRequest(AuthMethod.ksef_certificate, credential_id=office_certificate(seeded))
    outcome = links.connect_client(actor=office.support, client_id=client_id, request=request)

    assert not outcome.ok and outcome.kept and outcome.problem_class == ProblemClass.missing_rights
    assert outcome.status == LinkStatus.linked
    assert "bez zmian" in outcome.message
    assert _link(client_id) == before  # still the token
    assert _open_problems(client_id) == []
    assert links.verify_link(actor=office.support, client_id=client_id).status == LinkStatus.linked
    history = client_history(actor=office.manager, client_id=client_id)
    refused = [e for e in history if e.action == "link.change_refused"]
    assert refused and refused[0].details["problem"] == ProblemClass.missing_rights


def test_a_bad_new_token_keeps_the_working_link_and_a_good_one_replaces_it(sim, office):
    seeded = seed_clients(sim, office, ["healthy"])
    client_id = seeded.ids["healthy"]
    link_with_token(seeded, "healthy")
    before = _link(client_id)
    nip = seeded.nips["healthy"]
    weak = sim.create_token(nip, ["CredentialsRead"])  # a token without InvoiceRead: the new way does not work
    credentials.add_ksef_token(actor=office.support, client_id=client_id, token=weak["token"])

    outcome = links.connect_client(actor=office.support, client_id=client_id, request=TOKEN)
    assert outcome.kept and outcome.status == LinkStatus.linked
    assert _link(client_id) == before

    good = credentials.add_ksef_token(
        actor=office.support, client_id=client_id, token=sim.create_token(nip, ["InvoiceRead"])["token"]
    )
    outcome = links.connect_client(actor=office.support, client_id=client_id, request=TOKEN)
    assert outcome.ok and not outcome.kept
    assert _link(client_id)[1] == good.id


def test_a_client_without_a_link_gets_one_with_the_failure_recorded(sim, office):
    seeded = seed_clients(sim, office, ["token_revoked"])
    client_id = seeded.ids["token_revoked"]
    credentials.add_ksef_token(actor=office.support, client_id=client_id, token=seeded.token("token_revoked"))
    outcome = links.connect_client(actor=office.support, client_id=client_id, request=TOKEN)
    assert not outcome.kept and outcome.status == LinkStatus.action_required
    assert _open_problems(client_id) == [ProblemClass.invalid_credentials]


def test_the_wizard_keeps_working_links_unless_a_switch_is_asked_for(sim, office):
    seeded = seed_clients(sim, office, ["healthy", "healthy"])
    linked, new = seeded.ids["healthy"], seeded.ids["healthy2"]
    link_with_token(seeded, "healthy")
    before = _link(linked)
    credentials.add_ksef_token(actor=office.support, client_id=new, token=seeded.token("healthy2"))
    certificate = office_certificate(seeded)
    request = LinkRequest(AuthMethod.ksef_certificate, credential_id=certificate)

    assert links.working_links([linked, new]) == {linked}
    result = links.bulk_connect(actor=office.support, client_ids=[linked, new], request=request)
    assert result.clients[linked].ok and "obecny sposób" in result.clients[linked].message
    assert _link(linked) == before  # kept: not even tried
    assert result.clients[new].ok and _link(new)[1] == certificate

    result = links.bulk_connect(actor=office.support, client_ids=[linked], request=request, switch_linked=True)
    assert result.clients[linked].ok and _link(linked)[1] == certificate  # the switch worked, so it happened


def test_reissuing_the_key_moves_the_link_to_the_new_key_only_when_it_works(sim, office):
    seeded = seed_clients(sim, office, ["healthy"])
    client_id = seeded.ids["healthy"]
    link_with_token(seeded, "healthy")
    old_key = _link(client_id)[2]
    key, outcome = links.reissue_key(actor=office.manager, client_id=client_id)
    assert outcome is not None and outcome.ok
    assert key != old_key and _link(client_id)[2] == key

    sim.set_faults(unavailableSeconds=60)
    try:
        _, outcome = links.reissue_key(actor=office.manager, client_id=client_id)
    finally:
        sim.clear_faults()
    assert outcome is not None and outcome.kept
    assert _link(client_id)[2] == key  # the link was not switched to a key that could not be verified


def test_a_link_whose_first_attempt_was_cut_off_is_tried_as_new(sim, office):
    """A worker killed between writing a link and trying it leaves a link never attempted. The resumed connect is its
    first real attempt: a transient failure then opens a problem (which the link-retry schedule follows), instead of
    being reported as "kept" beside a link that never worked and then forgotten (issue 10, crash soak: 99 of 100)."""
    seeded = seed_clients(sim, office, ["healthy"])
    client_id = seeded.ids["healthy"]
    credentials.add_ksef_token(actor=office.support, client_id=client_id, token=seeded.token("healthy"))
    with db.session_scope(write=True) as session:  # what the killed worker wrote before its attempt
        candidate, has_link = links._candidate(session, office.support, client_id, TOKEN)
        assert not has_link
        links._write_link(session, candidate)
    sim.set_faults(seeded.nips["healthy"], errorRate=1.0, errorStatus=503)

    outcome = links.connect_client(actor=office.support, client_id=client_id, request=TOKEN)

    assert not outcome.ok and not outcome.kept
    assert _open_problems(client_id) == [outcome.problem_class]
    sim.clear_faults()
    assert links.verify_link(actor=office.support, client_id=client_id).ok  # what the link-retry schedule runs
    assert _open_problems(client_id) == []
