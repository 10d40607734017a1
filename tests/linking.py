"""Linking set-ups shared by the AppTest and Playwright tests of the linking pages: clients seeded in the simulator
and brought, through the services, into the states support must fix."""

from __future__ import annotations

from core.services.linking import credentials, links
from core.services.linking import keys as company_keys
from core.services.linking.links import LinkRequest
from core.types import AuthMethod, LinkStatus, ProblemClass
from simulator.testing import SimAdmin
from tests.conftest import OfficeActors
from tests.simulated import SeededClients, seed_clients

TOKEN = LinkRequest(auth_method=AuthMethod.ksef_token)


def office_certificate(seeded: SeededClients) -> int:
    material = seeded.office_certificate
    return credentials.add_certificate(
        actor=seeded.office.manager,
        client_id=None,
        certificate=material["certificatePem"].encode(),
        private_key=material["privateKeyPem"].encode(),
        label="Certyfikat biura",
    ).id


def link_with_token(seeded: SeededClients, name: str) -> None:
    """Add the client's own KSeF token and connect with it."""
    actor = seeded.office.support
    client_id = seeded.ids[name]
    credentials.add_ksef_token(actor=actor, client_id=client_id, token=seeded.token(name))
    outcome = links.connect_client(actor=actor, client_id=client_id, request=TOKEN)
    assert outcome.ok, outcome


def two_broken_clients(sim: SimAdmin, office: OfficeActors) -> SeededClients:
    """`wrong_company_key`: linked by its own token but with another company's key; `rights_missing`: linked by
    the office certificate, which it never granted rights to. Each has one open problem."""
    seeded = seed_clients(sim, office, ["wrong_company_key", "rights_missing"])
    wrong, missing = seeded.ids["wrong_company_key"], seeded.ids["rights_missing"]
    support = office.support
    credentials.add_ksef_token(actor=support, client_id=wrong, token=seeded.token("wrong_company_key"))
    other_key = company_keys.get_company_key(actor=support, client_id=missing)
    outcome = links.connect_client(
        actor=support, client_id=wrong, request=LinkRequest(AuthMethod.ksef_token, company_key=other_key)
    )
    assert (outcome.status, outcome.problem_class) == (LinkStatus.error, ProblemClass.wrong_company_key), outcome
    request = LinkRequest(AuthMethod.ksef_certificate, credential_id=office_certificate(seeded))
    outcome = links.connect_client(actor=support, client_id=missing, request=request)
    assert (outcome.status, outcome.problem_class) == (LinkStatus.action_required, ProblemClass.missing_rights)
    return seeded
