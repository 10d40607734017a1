"""Enrolling KSeF certificates through the API (issue 12 #1, DESIGN.md §3 B.5).

limits → enrollment data → a CSR made here (EC P-256, or RSA 2048) whose private key is sealed in the database before
the request is sent → the enrollment → its status, polled as a job → the certificate retrieved, checked against the
sealed key and activated as a credential (authentication or offline) → later, revocation with its reason.
The guard refuses a request that would use up the identity's limit (KSeF then locks further requests for 30 days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from core import audit
from core.db import session_scope
from core.errors import InvalidInput, NotFound
from core.jobs.kinds import CERTIFICATE_ENROLLMENT, EnrollmentPayload
from core.jobs.queue import start_job
from core.ksef import certificates as ksef_certificates
from core.ksef import session_cache
from core.ksef.errors import KsefFailure
from core.models import CertificateEnrollment, Credential
from core.security import Actor, Permission
from core.services.certificates import identity as identities
from core.services.certificates.files import CertificateFileError, load_bundle
from core.services.linking.credentials import CredentialPublic, insert_certificate
from core.texts import Text
from core.types import CertificateType, EnrollmentStatus, ProblemClass, utcnow
from core.vault import seal, unseal_text

KEY_TYPES = ksef_certificates.KEY_TYPES
REVOCATION_REASONS = ksef_certificates.REVOCATION_REASONS
NAME_LENGTH = (5, 100)  # certificateName, PROTOCOL.md §11


@dataclass(frozen=True)
class CertificateLimits:
    identity_credential_id: int
    identity_label: str
    can_request: bool
    enrollment_remaining: int
    enrollment_limit: int
    certificate_remaining: int
    certificate_limit: int

    @property
    def blocked_reason(self) -> str:
        """Why a new request is refused here ("" when one may be made): KSeF's own "no", an exhausted count of
        active certificates, or a request that would use up the last enrollment and trigger the 30-day lock."""
        if not self.can_request or self.certificate_remaining <= 0:
            return Text("enrollment.limit_certificates", limit=self.certificate_limit)
        if self.enrollment_remaining <= 1:
            return Text("enrollment.limit_requests", remaining=self.enrollment_remaining, limit=self.enrollment_limit)
        return ""


@dataclass(frozen=True)
class EnrollmentPublic:
    id: int
    client_id: int | None
    certificate_name: str
    certificate_type: str
    key_type: str
    status: str
    reference_number: str
    serial_number: str
    credential_id: int | None
    message: str
    requested_by: str
    created_at: datetime

    @classmethod
    def of(cls, row: CertificateEnrollment) -> EnrollmentPublic:
        assert row.id is not None
        return cls(
            id=row.id,
            client_id=row.client_id,
            certificate_name=row.certificate_name,
            certificate_type=row.certificate_type,
            key_type=row.key_type,
            status=row.status,
            reference_number=row.reference_number,
            serial_number=row.serial_number,
            credential_id=row.credential_id,
            message=row.message,
            requested_by=row.requested_by,
            created_at=row.created_at,
        )


def certificate_limits(*, actor: Actor, identity_credential_id: int | None = None) -> CertificateLimits:
    """GET /certificates/limits of the identity, asked of KSeF now."""
    actor.require(Permission.view_secrets_metadata)
    with session_scope() as session:
        identity = identities.resolve(session, actor, identity_credential_id)
    found = identities.run_as(identity, ksef_certificates.limits)
    return CertificateLimits(
        identity.credential_id,
        identity.label,
        found.can_request,
        found.enrollment_remaining,
        found.enrollment_limit,
        found.certificate_remaining,
        found.certificate_limit,
    )


def subject_data(*, actor: Actor, identity_credential_id: int | None = None) -> dict[str, str]:
    """GET /certificates/enrollments/data: the subject KSeF will put in the certificate (shown before a request)."""
    actor.require(Permission.view_secrets_metadata)
    with session_scope() as session:
        identity = identities.resolve(session, actor, identity_credential_id)
    found = identities.run_as(identity, ksef_certificates.enrollment_data)
    return {str(key): str(value) for key, value in found.items()}


def _check_request(name: str, certificate_type: str, key_type: str) -> str:
    name = name.strip()
    if not NAME_LENGTH[0] <= len(name) <= NAME_LENGTH[1]:
        raise InvalidInput(Text("enrollment.name_length", low=NAME_LENGTH[0], high=NAME_LENGTH[1]))
    if certificate_type not in set(CertificateType):
        raise InvalidInput(Text("enrollment.unknown_type", type=certificate_type))
    if key_type not in KEY_TYPES:
        raise InvalidInput(Text("enrollment.unknown_key", key=key_type))
    return name


def enroll(
    *,
    actor: Actor,
    name: str,
    certificate_type: str = CertificateType.Authentication,
    key_type: str = "EC",
    identity_credential_id: int | None = None,
) -> EnrollmentPublic:
    """Request a certificate for the identity; the status is then followed by a job (`CERTIFICATE_ENROLLMENT`)."""
    actor.require(Permission.manage_credentials)
    name = _check_request(name, certificate_type, key_type)
    with session_scope() as session:
        identity = identities.resolve(session, actor, identity_credential_id)
    with identities.signed_in(identity) as (gateway, token):
        limits = ksef_certificates.limits(gateway, token)
        guard = CertificateLimits(
            identity.credential_id, identity.label, limits.can_request, limits.enrollment_remaining,
            limits.enrollment_limit, limits.certificate_remaining, limits.certificate_limit,
        )  # fmt: skip
        if guard.blocked_reason:
            raise InvalidInput(guard.blocked_reason)
        data = ksef_certificates.enrollment_data(gateway, token)
        csr = ksef_certificates.make_csr(data, key_type)
        # The key is sealed in the database before the request leaves; the plaintext is dropped with `csr`.
        enrollment_id = _seal_key(actor, identity, name, certificate_type, key_type, csr.private_key_pem)
        request = csr.csr_base64
        del csr
        try:
            reference = ksef_certificates.send_enrollment(
                gateway, token, name=name, certificate_type=certificate_type, csr=request
            )
        except KsefFailure as failure:
            _fail(enrollment_id, failure.message)
            raise
    with session_scope(write=True) as session:
        row = session.get(CertificateEnrollment, enrollment_id)
        assert row is not None
        row.reference_number, row.status, row.updated_at = reference, EnrollmentStatus.requested, utcnow()
        session.add(row)
        audit.record(session, actor, "certificate.enroll", f"enrollment:{enrollment_id}", reference=reference)
        start_job(
            session,
            actor,
            CERTIFICATE_ENROLLMENT,
            EnrollmentPayload(enrollment_id=enrollment_id),
            action="certificate.enrollment_status",
            subject=Text("job.subject.enrollment", name=name),
        )
        return EnrollmentPublic.of(row)


def _seal_key(
    actor: Actor, identity: identities.Identity, name: str, certificate_type: str, key_type: str, key_pem: str
) -> int:
    with session_scope(write=True) as session:
        row = CertificateEnrollment(
            office_id=actor.office_id,
            client_id=identity.client_id,
            identity_credential_id=identity.credential_id,
            certificate_name=name,
            certificate_type=CertificateType(certificate_type),
            key_type=key_type,
            requested_by=actor.username,
        )
        session.add(row)
        session.flush()
        seal(row, "key_ciphertext", key_pem)
        session.add(row)
        assert row.id is not None
        return row.id


def _fail(enrollment_id: int, message: str) -> None:
    with session_scope(write=True) as session:
        row = session.get(CertificateEnrollment, enrollment_id)
        if row is None:
            return
        row.status, row.message, row.updated_at = EnrollmentStatus.failed, message[:500], utcnow()
        row.key_ciphertext = None  # a key without a certificate is of no use; nothing to leak
        session.add(row)


def _own(actor: Actor, enrollment_id: int) -> CertificateEnrollment:
    with session_scope() as session:
        row = session.get(CertificateEnrollment, enrollment_id)
        if row is None or row.office_id != actor.office_id:
            raise NotFound(Text("enrollment.not_found", id=enrollment_id))
        session.expunge(row)
        return row


def follow_enrollment(*, actor: Actor, enrollment_id: int) -> EnrollmentPublic:
    """The job's body: ask KSeF for the status; when issued, retrieve the certificate and activate it. A request
    still being processed raises a retryable failure, so the job comes back later."""
    actor.require(Permission.manage_credentials)
    row = _own(actor, enrollment_id)
    if row.status != EnrollmentStatus.requested:
        return EnrollmentPublic.of(row)
    with session_scope() as session:
        identity = identities.resolve(session, actor, row.identity_credential_id)
    with identities.signed_in(identity) as (gateway, token):
        status = ksef_certificates.enrollment_status(gateway, token, row.reference_number)
        if status.code == 100 or (status.code == 200 and not status.serial_number):
            raise KsefFailure(ProblemClass.ksef_unavailable, Text("enrollment.pending"), retry_after=10.0)
        if status.code != 200:
            _fail(enrollment_id, Text("enrollment.refused", code=status.code, description=status.description))
            return EnrollmentPublic.of(_own(actor, enrollment_id))
        retrieved = ksef_certificates.retrieve(gateway, token, [status.serial_number])
    if not retrieved:
        raise KsefFailure(ProblemClass.ksef_unavailable, Text("enrollment.pending"), retry_after=10.0)
    return _activate(actor, enrollment_id, retrieved[0].certificate_pem, status.serial_number)


def _activate(actor: Actor, enrollment_id: int, certificate_pem: str, serial: str) -> EnrollmentPublic:
    """The retrieved certificate becomes a credential, but only when it carries the public half of the sealed key."""
    with session_scope(write=True) as session:
        row = session.get(CertificateEnrollment, enrollment_id)
        assert row is not None
        row.serial_number = serial
        try:
            info, key_pem = load_bundle(
                certificate=certificate_pem.encode(),
                private_key=unseal_text(row, "key_ciphertext").encode(),
                for_authentication=row.certificate_type == CertificateType.Authentication,
            )
        except CertificateFileError as error:
            row.status, row.message, row.updated_at = EnrollmentStatus.failed, error.message[:500], utcnow()
            row.key_ciphertext = None
            session.add(row)
            audit.record(session, actor, "certificate.rejected", f"enrollment:{enrollment_id}", serial=serial)
            return EnrollmentPublic.of(row)
        credential = insert_certificate(
            session, office_id=row.office_id, client_id=row.client_id, info=info, key_pem=key_pem,
            label=row.certificate_name,
        )  # fmt: skip
        row.credential_id, row.status, row.updated_at = credential.id, EnrollmentStatus.active, utcnow()
        row.key_ciphertext = None  # the key now lives sealed on the credential
        session.add(row)
        audit.record(
            session, actor, "certificate.activate", f"credential:{credential.id}", serial=serial,
            certificate_type=row.certificate_type,
        )  # fmt: skip
        return EnrollmentPublic.of(row)


def list_enrollments(*, actor: Actor) -> list[EnrollmentPublic]:
    actor.require(Permission.view_secrets_metadata)
    with session_scope() as session:
        rows = session.exec(
            select(CertificateEnrollment)
            .where(CertificateEnrollment.office_id == actor.office_id)
            .order_by(col(CertificateEnrollment.id).desc())
        ).all()
        return [EnrollmentPublic.of(r) for r in rows]


def revoke_in_ksef(*, actor: Actor, credential_id: int, reason: str = "Unspecified") -> CredentialPublic:
    """Revoke a KSeF certificate in KSeF with its reason, then stop using it here."""
    from core.services.linking import credentials

    actor.require(Permission.manage_credentials)
    if reason not in REVOCATION_REASONS:
        raise InvalidInput(Text("enrollment.unknown_reason", reason=reason))
    with session_scope() as session:
        row = session.get(Credential, credential_id)
        if row is None or row.office_id != actor.office_id or row.revoked_at is not None:
            raise NotFound(Text("credential.not_found", id=credential_id))
        if not row.serial_number or row.certificate_type is None:
            raise InvalidInput(Text("enrollment.not_a_certificate"))
        serial, owner = row.serial_number, row.client_id
        usable = row.certificate_type == CertificateType.Authentication and row.secret_ciphertext is not None
        identity = identities.resolve(session, actor, credential_id if usable else None, owner)
    identities.run_as(identity, lambda gateway, token: ksef_certificates.revoke(gateway, token, serial, reason))
    with session_scope(write=True) as session:
        audit.record(session, actor, "certificate.revoke_ksef", f"credential:{credential_id}", reason=reason)
    session_cache.forget(credential_id=credential_id)
    public = credentials.revoke_credential(actor=actor, credential_id=credential_id)
    return public


def query_in_ksef(*, actor: Actor, identity_credential_id: int | None = None) -> list[dict[str, object]]:
    """The identity's certificates as KSeF lists them (POST /certificates/query)."""
    actor.require(Permission.view_secrets_metadata)
    with session_scope() as session:
        identity = identities.resolve(session, actor, identity_credential_id)
    return identities.run_as(identity, lambda gateway, token: ksef_certificates.query(gateway, token))
