"""Certificate enrollment against the simulator end to end (issue 12 #1): enroll → retrieve → authenticate with it →
revoke → authentication fails; the limits guard; a retrieved certificate whose key does not match is rejected."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import core.jobs.tasks  # noqa: F401 - binds the job bodies
from core import db
from core.errors import InvalidInput
from core.jobs.worker import drain
from core.ksef.auth import authenticate_with_certificate
from core.ksef.errors import KsefFailure
from core.ksef.gateway import KsefGateway
from core.models import CertificateEnrollment, Credential
from core.services.certificates import enrollment
from core.services.certificates import identity as identities
from core.services.linking import links
from core.services.linking.links import LinkRequest
from core.types import AuthMethod, EnrollmentStatus, LinkStatus, ProblemClass
from core.vault import unseal_text
from tests.linking import office_certificate
from tests.simulated import seed_clients


def _set_limits(identity_id: int, office, *, enrollments: int | None = None, certificates: int | None = None):
    body: dict = {"subjectIdentifierType": "Nip"}
    if enrollments is not None:
        body["enrollment"] = {"maxEnrollments": enrollments}
    if certificates is not None:
        body["certificate"] = {"maxCertificates": certificates}
    with db.session_scope() as session:
        identity = identities.resolve(session, office.manager, identity_id)

    def call(gateway, token):
        return gateway.call(
            lambda: gateway.client.http_client.request(
                "POST", "/testdata/limits/subject/certificate", json=body, access_token=token
            )
        )

    identities.run_as(identity, call)


def test_enroll_retrieve_authenticate_revoke_then_authentication_fails(sim, office):
    seeded = seed_clients(sim, office, ["healthy"])
    identity_id = office_certificate(seeded)
    manager = office.manager

    limits = enrollment.certificate_limits(actor=manager)
    assert limits.identity_credential_id == identity_id and limits.blocked_reason == ""
    started = enrollment.enroll(actor=manager, name="Certyfikat biura 2027")
    assert started.status == EnrollmentStatus.requested and started.reference_number
    with db.session_scope() as session:  # the key is sealed from the first moment, never in clear
        sealed = session.get(CertificateEnrollment, started.id).key_ciphertext
    assert sealed is not None and sealed.startswith(b"k1") and b"PRIVATE KEY" not in sealed

    drain("test-worker")  # the status job: issued → retrieved → activated
    (done,) = [e for e in enrollment.list_enrollments(actor=manager) if e.id == started.id]
    assert done.status == EnrollmentStatus.active and done.credential_id and done.serial_number
    with db.session_scope() as session:
        credential = session.get(Credential, done.credential_id)
        row = session.get(CertificateEnrollment, started.id)
    assert credential.client_id is None and credential.certificate_type == "Authentication"
    assert row.key_ciphertext is None  # moved to the credential

    # The new certificate authenticates: the client links through it.
    client_id = seeded.ids["healthy"]
    request = LinkRequest(AuthMethod.ksef_certificate, credential_id=done.credential_id)
    assert links.connect_client(actor=manager, client_id=client_id, request=request).status == LinkStatus.linked
    listed = enrollment.query_in_ksef(actor=manager)
    assert any(c["certificateSerialNumber"] == done.serial_number and c["status"] == "Active" for c in listed)

    with db.session_scope() as session:  # kept by the test only, to show KSeF itself refuses it afterwards
        stored = session.get(Credential, done.credential_id)
        key_pem, certificate_pem = unseal_text(stored, "secret_ciphertext"), stored.certificate_pem

    enrollment.revoke_in_ksef(actor=manager, credential_id=done.credential_id, reason="Superseded")
    listed = enrollment.query_in_ksef(actor=manager)
    assert any(c["certificateSerialNumber"] == done.serial_number and c["status"] == "Revoked" for c in listed)
    with db.session_scope() as session:
        assert session.get(Credential, done.credential_id).secret_ciphertext is None  # out of use here too

    with KsefGateway("SIM", seeded.nips["healthy"]) as gateway, pytest.raises(KsefFailure) as failure:
        authenticate_with_certificate(gateway, certificate_pem=certificate_pem, private_key_pem=key_pem)
    assert failure.value.problem_class == ProblemClass.invalid_credentials
    assert failure.value.ksef_code == 460


def test_the_limits_guard_refuses_a_request_that_would_use_up_the_limit(sim, office):
    seeded = seed_clients(sim, office, ["healthy"])
    identity_id = office_certificate(seeded)
    _set_limits(identity_id, office, enrollments=2)
    first = enrollment.enroll(actor=office.manager, name="Pierwszy certyfikat", key_type="RSA")
    assert first.status == EnrollmentStatus.requested
    limits = enrollment.certificate_limits(actor=office.manager)
    assert (limits.enrollment_remaining, limits.enrollment_limit) == (1, 2)
    assert "30 dni" in limits.blocked_reason
    with pytest.raises(InvalidInput, match="zostało 1 z 2 wniosków"):
        enrollment.enroll(actor=office.manager, name="Drugi certyfikat")
    with db.session_scope() as session:  # nothing was requested, nothing sealed
        assert session.execute(sa.select(sa.func.count()).select_from(CertificateEnrollment)).scalar_one() == 1

    _set_limits(identity_id, office, enrollments=300, certificates=1)  # the office certificate is the 1 active one
    with pytest.raises(InvalidInput, match="aktywnych certyfikatów"):
        enrollment.enroll(actor=office.manager, name="Trzeci certyfikat")


def test_ksef_refusal_is_named_in_polish(sim, office, monkeypatch):
    seeded = seed_clients(sim, office, ["healthy"])
    office_certificate(seeded)
    from core.ksef import certificates as ksef_certificates

    real = ksef_certificates.make_csr
    monkeypatch.setattr(
        ksef_certificates, "make_csr", lambda data, key_type: real({**data, "commonName": "X"}, key_type)
    )
    with pytest.raises(KsefFailure) as failure:
        enrollment.enroll(actor=office.manager, name="Zły certyfikat")
    assert failure.value.ksef_code == 25003
    assert "nie zgadzają się" in failure.value.message
    (row,) = enrollment.list_enrollments(actor=office.manager)
    assert row.status == EnrollmentStatus.failed and "25003" in row.message


def test_a_retrieved_certificate_whose_key_does_not_match_is_rejected(sim, office, monkeypatch):
    seeded = seed_clients(sim, office, ["healthy"])
    office_certificate(seeded)
    started = enrollment.enroll(actor=office.manager, name="Certyfikat biura")
    from core.ksef import certificates as ksef_certificates

    foreign = sim.create_certificate(subject_nip=seeded.nips["healthy"], common_name="Obcy")
    monkeypatch.setattr(
        ksef_certificates,
        "retrieve",
        lambda gateway, token, serials: [
            ksef_certificates.Retrieved(serials[0], "Obcy", "Authentication", foreign["certificatePem"])
        ],
    )
    followed = enrollment.follow_enrollment(actor=office.manager, enrollment_id=started.id)
    assert followed.status == EnrollmentStatus.failed and followed.credential_id is None
    assert "klucz" in followed.message.lower()
    with db.session_scope() as session:
        assert session.get(CertificateEnrollment, started.id).key_ciphertext is None
        assert session.execute(sa.select(sa.func.count()).select_from(Credential)).scalar_one() == 1  # the office's


def test_a_client_certificate_enrolls_a_certificate_for_that_client(sim, office):
    from core.services.linking import credentials

    seeded = seed_clients(sim, office, ["healthy"])
    client_id = seeded.ids["healthy"]
    material = sim.create_certificate(subject_nip=seeded.nips["healthy"], common_name="Klient")
    own = credentials.add_certificate(
        actor=office.manager, client_id=client_id,
        certificate=material["certificatePem"].encode(), private_key=material["privateKeyPem"].encode(),
    )  # fmt: skip
    started = enrollment.enroll(
        actor=office.manager, name="Offline klienta", certificate_type="Offline", identity_credential_id=own.id
    )
    done = enrollment.follow_enrollment(actor=office.manager, enrollment_id=started.id)
    assert done.status == EnrollmentStatus.active and done.client_id == client_id
    with db.session_scope() as session:
        credential = session.get(Credential, done.credential_id)
    assert (credential.client_id, credential.certificate_type, credential.status) == (client_id, "Offline", "added")
    assert credential.subject_identifier == seeded.nips["healthy"]
