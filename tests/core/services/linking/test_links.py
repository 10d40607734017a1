"""Linking clients against the simulator over real HTTP: every auth method, every failure class of issue 4."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import db
from core.errors import InvalidInput, PermissionDenied
from core.models import AuditEvent, Credential, KsefSession, Link, Problem
from core.services.certificates.files import CertificateExpired
from core.services.linking import credentials, links, rights, selftest
from core.services.linking import keys as company_keys
from core.services.linking import signatures as signature
from core.services.linking.links import LinkRequest
from core.types import AuthMethod, LinkStatus, ProblemClass, utcnow
from tests.simulated import grant_office, seed_clients

TOKEN = LinkRequest(auth_method=AuthMethod.ksef_token)
CERTIFICATE = LinkRequest(auth_method=AuthMethod.ksef_certificate)


def _open_problems(client_id: int) -> list[str]:
    with db.session_scope() as session:
        return list(
            session.execute(
                sa.select(Problem.problem_class).where(Problem.client_id == client_id, Problem.status == "open")
            ).scalars()
        )


def _office_certificate(seeded) -> int:
    material = seeded.office_certificate
    return credentials.add_certificate(
        actor=seeded.office.manager,
        client_id=None,
        certificate=material["certificatePem"].encode(),
        private_key=material["privateKeyPem"].encode(),
    ).id


def test_a_client_token_links_and_nothing_secret_is_stored_in_clear(sim, office):
    seeded = seed_clients(sim, office, ["healthy"])
    client_id = seeded.ids["healthy"]
    credentials.add_ksef_token(actor=office.support, client_id=client_id, token=seeded.token("healthy"))
    outcome = links.connect_client(actor=office.support, client_id=client_id, request=TOKEN)
    assert outcome.ok and outcome.status == LinkStatus.linked, outcome
    with db.session_scope() as session:
        link = session.execute(sa.select(Link)).scalar_one()
        stored = session.execute(sa.select(KsefSession)).scalar_one()
        secret = session.execute(sa.select(Credential.secret_ciphertext)).scalar_one()
    assert set(link.permissions) >= {"InvoiceRead", "InvoiceWrite"}
    token_secret = seeded.token("healthy").split("|")[-1].encode()
    for blob in (secret, stored.access_ciphertext, stored.refresh_ciphertext):
        assert blob.startswith(b"k1") and token_secret not in blob


def test_the_office_certificate_serves_every_client_that_granted_rights(sim, office):
    seeded = seed_clients(sim, office, ["healthy", "healthy", "rights_missing"])
    certificate_id = _office_certificate(seeded)
    request = LinkRequest(auth_method=AuthMethod.ksef_certificate, credential_id=certificate_id)
    results = {
        name: links.connect_client(actor=office.manager, client_id=cid, request=request)
        for name, cid in seeded.ids.items()
    }
    assert results["healthy"].status == results["healthy2"].status == LinkStatus.linked
    assert results["rights_missing"].status == LinkStatus.action_required
    assert _open_problems(seeded.ids["rights_missing"]) == [ProblemClass.missing_rights]
    statuses = {c.status for c in credentials.list_credentials(actor=office.manager)}
    assert statuses == {"authorized"}  # submitted → accepted → authorized by the successful logins

    # The client grants the office its rights in KSeF; the next attempt closes the problem by itself.
    grant_office(sim, seeded.nips["rights_missing"])
    assert links.verify_link(actor=office.support, client_id=seeded.ids["rights_missing"]).status == LinkStatus.linked
    assert _open_problems(seeded.ids["rights_missing"]) == []


def test_a_client_certificate_links_and_a_revoked_one_fails(sim, office):
    seeded = seed_clients(sim, office, ["healthy"])
    client_id = seeded.ids["healthy"]
    material = sim.create_certificate(subject_nip=seeded.nips["healthy"], common_name="Klient")
    added = credentials.add_certificate(
        actor=office.support, client_id=client_id,
        certificate=material["certificatePem"].encode(), private_key=material["privateKeyPem"].encode(),
    )  # fmt: skip
    assert added.status == "submitted" and added.subject_identifier == seeded.nips["healthy"]
    outcome = links.connect_client(actor=office.support, client_id=client_id, request=CERTIFICATE)
    assert outcome.status == LinkStatus.linked, outcome
    sim.revoke_certificate(material["serialNumber"])
    with db.session_scope(write=True) as session:  # the cached session would hide the revoke until it expires
        session.execute(sa.delete(KsefSession))
    outcome = links.verify_link(actor=office.support, client_id=client_id)
    assert (outcome.status, outcome.problem_class) == (LinkStatus.action_required, ProblemClass.invalid_credentials)
    assert credentials.list_credentials(actor=office.support, client_id=client_id)[0].status == "auth_failed"
    # Each step of the certificate's authorization is audited in the name of whoever ran the operation.
    with db.session_scope() as session:
        steps = session.execute(
            sa.select(AuditEvent.actor, AuditEvent.details)
            .where(AuditEvent.action == "credential.status", AuditEvent.target == f"credential:{added.id}")
            .order_by(AuditEvent.id)
        ).all()
    assert [(actor, details["previous"], details["status"]) for actor, details in steps] == [
        (office.support.username, "submitted", "accepted"),
        (office.support.username, "accepted", "authorized"),
        (office.support.username, "authorized", "auth_failed"),
    ]


def test_an_expired_certificate_is_refused_at_upload(sim, office):
    seeded = seed_clients(sim, office, ["cert_expired"])
    material = seeded.certificate("cert_expired")
    with pytest.raises(CertificateExpired, match="wygasł"):
        credentials.add_certificate(
            actor=office.support, client_id=seeded.ids["cert_expired"],
            certificate=material["certificatePem"].encode(), private_key=material["privateKeyPem"].encode(),
        )  # fmt: skip


def test_a_revoked_token_is_invalid_credentials(sim, office):
    seeded = seed_clients(sim, office, ["token_revoked"])
    client_id = seeded.ids["token_revoked"]
    credentials.add_ksef_token(actor=office.support, client_id=client_id, token=seeded.token("token_revoked"))
    outcome = links.connect_client(actor=office.support, client_id=client_id, request=TOKEN)
    assert (outcome.status, outcome.problem_class) == (LinkStatus.action_required, ProblemClass.invalid_credentials)
    assert "unieważniony" in outcome.message


@pytest.mark.parametrize("method", [AuthMethod.qualified_signature, AuthMethod.trusted_profile])
def test_signature_methods_link_until_reauthorization_is_due(sim, office, method):
    seeded = seed_clients(sim, office, ["healthy"])
    client_id = seeded.ids["healthy"]
    prepared = signature.start_signature(actor=office.support, client_id=client_id, method=method)
    assert "<AuthTokenRequest" in prepared.xml and seeded.nips["healthy"] in prepared.xml
    assert timedelta(minutes=9) < prepared.expires_at - utcnow() <= timedelta(minutes=10)
    signed = signature.sign_in_simulator(actor=office.support, client_id=client_id, xml=prepared.xml)
    outcome = signature.complete_signature(actor=office.support, client_id=client_id, method=method, signed_xml=signed)
    assert outcome.status == LinkStatus.linked, outcome
    with db.session_scope() as session:
        link = session.execute(sa.select(Link)).scalar_one()
    assert timedelta(days=6) < link.reauth_due_at - utcnow() <= timedelta(days=7)

    # The signed session lapses: no way to renew it without a person.
    with db.session_scope(write=True) as session:
        session.execute(sa.update(KsefSession).values(access_valid_until=utcnow(), refresh_valid_until=utcnow()))
    outcome = links.verify_link(actor=office.support, client_id=client_id)
    assert (outcome.status, outcome.problem_class) == (LinkStatus.action_required, ProblemClass.auth_required)


def test_an_unsigned_or_foreign_file_is_refused(sim, office):
    seeded = seed_clients(sim, office, ["healthy"])
    client_id = seeded.ids["healthy"]
    prepared = signature.start_signature(actor=office.support, client_id=client_id, method=AuthMethod.trusted_profile)
    with pytest.raises(InvalidInput, match="nie jest podpisany"):
        signature.complete_signature(
            actor=office.support, client_id=client_id, method="trusted_profile", signed_xml=prepared.xml.encode()
        )
    with pytest.raises(InvalidInput, match="nie jest poprawnym XML"):
        signature.complete_signature(
            actor=office.support, client_id=client_id, method="trusted_profile", signed_xml=b"<a>"
        )


class TestWrongCompanyKey:
    def _setup(self, sim, office):
        seeded = seed_clients(sim, office, ["healthy", "healthy"])
        first, second = seeded.ids["healthy"], seeded.ids["healthy2"]
        key = company_keys.get_company_key(actor=office.support, client_id=first)
        return seeded, first, second, key

    def test_each_failure_has_its_own_message(self, sim, office):
        seeded, first, second, key = self._setup(sim, office)
        other_key = company_keys.get_company_key(actor=office.support, client_id=second)
        account, company, nip = key.split(";")
        checks = {
            "malformed": "to;nie-jest-klucz",
            "other_office": f"BR-INNE;{company};{nip}",
            "unknown_company": f"{account};FFFFFFFF;{nip}",
            "other_company": other_key,
        }
        for failure, candidate in checks.items():
            result = company_keys.verify_company_key(actor=office.support, client_id=first, key=candidate)
            assert (result.ok, result.failure) == (False, failure), (failure, result)
        named = company_keys.verify_company_key(actor=office.support, client_id=first, key=other_key)
        assert f"Firma healthy2 (NIP {seeded.nips['healthy2']})" in named.message
        assert company_keys.verify_company_key(actor=office.support, client_id=first, key=key).ok

    def test_letter_case_does_not_matter(self, sim, office):
        """Issue 11 §8: a key lower-cased by a mail program or retyped by hand is still the same key."""
        _seeded, first, _second, key = self._setup(sim, office)
        account, company, nip = key.split(";")
        for typed in (key.lower(), f"{account.lower()};{company};{nip}", f"{account};{company.lower()};{nip}"):
            assert company_keys.verify_company_key(actor=office.support, client_id=first, key=typed).ok, typed
        other = company_keys.verify_company_key(actor=office.support, client_id=first, key=f"br-inne;{company};{nip}")
        assert other.failure == "other_office"

    def test_revoked_and_archived_keys(self, sim, office):
        from core.services.clients.register import archive_client

        _seeded, first, second, key = self._setup(sim, office)
        fresh = company_keys.reissue_company_key(actor=office.manager, client_id=first)
        assert fresh != key
        assert company_keys.verify_company_key(actor=office.support, client_id=first, key=key).failure == "revoked"
        second_key = company_keys.get_company_key(actor=office.support, client_id=second)
        archive_client(actor=office.manager, client_id=second)
        assert (
            company_keys.verify_company_key(actor=office.support, client_id=first, key=second_key).failure == "archived"
        )

    def test_a_link_with_another_company_s_key_is_an_error_until_fixed(self, sim, office):
        seeded, first, second, _ = self._setup(sim, office)
        credentials.add_ksef_token(actor=office.support, client_id=first, token=seeded.token("healthy"))
        wrong = company_keys.get_company_key(actor=office.support, client_id=second)
        outcome = links.connect_client(
            actor=office.support, client_id=first, request=LinkRequest(AuthMethod.ksef_token, company_key=wrong)
        )
        assert (outcome.status, outcome.problem_class) == (LinkStatus.error, ProblemClass.wrong_company_key)
        fixed = links.use_current_key(actor=office.support, client_id=first)
        assert fixed.status == LinkStatus.linked and _open_problems(first) == []

    def test_a_token_of_another_client_is_caught_before_any_call(self, sim, office):
        seeded, first, _second, _ = self._setup(sim, office)
        with pytest.raises(InvalidInput, match=f"należy do firmy Firma healthy2 \\(NIP {seeded.nips['healthy2']}\\)"):
            credentials.add_ksef_token(actor=office.support, client_id=first, token=seeded.token("healthy2"))
        assert sim.stats()["requests"] == 0


def _linked_client(sim, office):
    seeded = seed_clients(sim, office, ["healthy"])
    client_id = seeded.ids["healthy"]
    credentials.add_ksef_token(actor=office.support, client_id=client_id, token=seeded.token("healthy"))
    assert links.connect_client(actor=office.support, client_id=client_id, request=TOKEN).ok
    with db.session_scope(write=True) as session:  # force the next check to talk to KSeF again
        session.execute(sa.delete(KsefSession))
    return client_id


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("url", "kind"),
    [(lambda: f"http://127.0.0.1:{_free_port()}", "connect"), (lambda: "http://ksef-simulator.invalid:8600", "dns")],
)
def test_network_failures_are_classified(sim, office, monkeypatch, url, kind):
    from core.settings import reload_settings

    client_id = _linked_client(sim, office)
    monkeypatch.setenv("KSEF_CONSOLE_SIM_URL", url())
    reload_settings()
    outcome = links.verify_link(actor=office.support, client_id=client_id)
    assert (outcome.status, outcome.problem_class) == (LinkStatus.error, ProblemClass.network)
    with db.session_scope() as session:
        details = session.execute(sa.select(Problem.details)).scalar_one()
    assert details["kind"] == kind


def test_a_timeout_is_a_network_problem(sim, office, monkeypatch):
    from core.settings import reload_settings

    client_id = _linked_client(sim, office)
    monkeypatch.setenv("KSEF_CONSOLE_KSEF_TIMEOUT_SECONDS", "1")
    reload_settings()
    sim.settings(timeoutSeconds=3)
    sim.set_faults(timeoutRate=1.0)
    outcome = links.verify_link(actor=office.support, client_id=client_id)
    sim.clear_faults()
    assert outcome.problem_class == ProblemClass.network and "czas" in outcome.message


def test_ksef_unavailable_and_rate_limited(sim, office):
    client_id = _linked_client(sim, office)
    sim.set_faults(errorRate=1.0)
    assert links.verify_link(actor=office.support, client_id=client_id).problem_class == ProblemClass.ksef_unavailable
    sim.clear_faults()
    sim.set_faults(rateLimitStormSeconds=600)
    outcome = links.verify_link(actor=office.support, client_id=client_id)
    sim.clear_faults()
    assert (outcome.status, outcome.problem_class) == (LinkStatus.error, ProblemClass.rate_limited)
    # The block KSeF asked for is shared through the database: nobody calls before it ends.
    with db.session_scope() as session:
        from core.models import RateLimit

        assert session.execute(sa.select(sa.func.max(RateLimit.blocked_until))).scalar_one() > utcnow()


def test_rights_doctor_names_what_is_missing_and_writes_the_instruction(sim, office):
    seeded = seed_clients(sim, office, ["rights_missing"])
    client_id = seeded.ids["rights_missing"]
    credentials.add_ksef_token(actor=office.support, client_id=client_id, token=seeded.token("rights_missing"))
    links.connect_client(
        actor=office.support, client_id=client_id, request=LinkRequest(AuthMethod.ksef_token, send_enabled=True)
    )
    report = rights.check_rights(actor=office.support, client_id=client_id)
    assert report.held == ["CredentialsRead"]
    assert report.missing == ["InvoiceRead", "InvoiceWrite"]
    assert "Przeglądanie faktur (InvoiceRead)" in report.instruction and "Generuj token" in report.instruction
    with pytest.raises(PermissionDenied):
        rights.check_rights(actor=office.analyst, client_id=client_id)


def test_self_test_runs_every_step_and_names_the_first_failure(sim, office):
    client_id = _linked_client(sim, office)
    report = selftest.run_self_test(actor=office.support, client_id=client_id)
    assert report.ok, report
    assert [s.step for s in report.steps] == [
        "reachability", "availability", "public_keys", "challenge", "auth", "redeem", "limits", "metadata_probe",
    ]  # fmt: skip
    assert all(s.milliseconds >= 0 for s in report.steps)
    sim.set_faults(unavailableSeconds=300)
    report = selftest.run_self_test(actor=office.support, client_id=client_id)
    sim.clear_faults()
    assert report.first_failure.step == "availability"
    assert "Latarnia" in report.first_failure.fix or "przerwy" in report.first_failure.fix


def test_bulk_connect_keeps_going_after_a_failure_and_retries_the_failed(sim, office):
    from core.jobs.kinds import BulkLinkResult
    from core.jobs.worker import drain
    from core.services.jobs import job_progress

    seeded = seed_clients(sim, office, ["healthy", "token_revoked", "healthy"])
    for name, client_id in seeded.ids.items():
        credentials.add_ksef_token(actor=office.support, client_id=client_id, token=seeded.token(name))
    job_id = links.start_bulk_connect(actor=office.support, client_ids=list(seeded.ids.values()), request=TOKEN)
    drain()
    job = job_progress(actor=office.support, job_id=job_id, result=BulkLinkResult)
    assert job.status == "done" and (job.done, job.total) == (3, 3)
    assert job.result is not None
    assert job.result.failed == [seeded.ids["token_revoked"]]
    assert job.result.ok == 2
    assert job.result.clients[seeded.ids["token_revoked"]].problem_class == "invalid_credentials"


def test_production_needs_an_explicit_confirmation(sim, office):
    seeded = seed_clients(sim, office, ["healthy"])
    with pytest.raises(InvalidInput, match="wyraźnego potwierdzenia"):
        links.connect_client(
            actor=office.manager,
            client_id=seeded.ids["healthy"],
            request=LinkRequest(AuthMethod.ksef_token, environment="PROD"),
        )


def test_analyst_runs_no_operation(sim, office):
    seeded = seed_clients(sim, office, ["healthy"])
    for call in (
        lambda: links.connect_client(actor=office.analyst, client_id=seeded.ids["healthy"], request=TOKEN),
        lambda: credentials.add_ksef_token(actor=office.analyst, client_id=seeded.ids["healthy"], token="x" * 40),
        lambda: credentials.list_credentials(actor=office.analyst),
        lambda: selftest.run_self_test(actor=office.analyst, client_id=seeded.ids["healthy"]),
    ):
        with pytest.raises(PermissionDenied):
            call()


def test_signatures_for_many_clients_at_once(sim, office):
    import io
    import zipfile

    seeded = seed_clients(sim, office, ["healthy", "healthy", "no_invoices"])
    bundle = signature.start_signatures(
        actor=office.support, client_ids=list(seeded.ids.values()), method=AuthMethod.qualified_signature
    )
    files = []
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        assert len(archive.namelist()) == 3
        for name in archive.namelist():
            nip = name.removeprefix("AuthTokenRequest-").removesuffix(".xml")
            client_id = next(i for n, i in seeded.ids.items() if seeded.nips[n] == nip)
            signed = signature.sign_in_simulator(
                actor=office.support, client_id=client_id, xml=archive.read(name).decode()
            )
            files.append((name, signed))
    files.append(("obcy.xml", b"<AuthTokenRequest/>"))
    outcomes = signature.complete_signatures(actor=office.support, method=AuthMethod.qualified_signature, files=files)
    assert [o.status for n, o in outcomes.items() if n != "obcy.xml"] == [LinkStatus.linked] * 3
    assert "nie jest podpisany" in outcomes["obcy.xml"]


def test_an_unexpected_error_in_a_bulk_connect_opens_a_problem_the_retries_follow(sim, office, monkeypatch):
    """One client's attempt ending in a bug is recorded as that client's (transient) link problem, so it shows in the
    inbox and the link-retry schedule tries it again; the other clients are connected as usual (issue 10)."""
    from core.models import Problem

    seeded = seed_clients(sim, office, ["healthy", "healthy"])
    ids = sorted(seeded.ids.values())
    for name, client_id in seeded.ids.items():
        credentials.add_ksef_token(actor=office.support, client_id=client_id, token=seeded.token(name))
    real = links.connect_or_keep

    def flaky(*, actor, client_id, request, switch_linked=False):
        if client_id == ids[0]:
            raise RuntimeError("secret-looking detail that must not be kept")
        return real(actor=actor, client_id=client_id, request=request, switch_linked=switch_linked)

    monkeypatch.setattr(links, "connect_or_keep", flaky)
    result = links.bulk_connect(actor=office.support, client_ids=ids, request=TOKEN)

    assert result.clients[ids[1]].ok and not result.clients[ids[0]].ok
    assert result.clients[ids[0]].problem_class == ProblemClass.internal
    assert "secret-looking" not in result.clients[ids[0]].message
    assert "RuntimeError" not in result.clients[ids[0]].message  # no raw code for a person
    with db.session_scope() as session:
        opened = session.execute(
            sa.select(Problem.client_id, Problem.operation, Problem.problem_class).where(Problem.status == "open")
        ).all()
    assert opened == [(ids[0], "link", ProblemClass.internal)]
