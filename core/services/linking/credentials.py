"""Credentials: KSeF tokens and KSeF certificates (per client or the office's), sealed at rest.

Nothing secret ever leaves this module through a public function: `CredentialPublic` carries only metadata. The
plaintext is opened for one KSeF call by `core.services.linking.connection` and dropped right after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, or_, select

from core import audit
from core.db import session_scope
from core.errors import Conflict, InvalidInput
from core.ksef import session_cache
from core.ksef.auth import has_ksef_token_shape, token_context_nip
from core.models import Client, Credential
from core.security import Actor, Permission
from core.services.certificates.files import CertificateInfo, load_bundle
from core.services.scope import client_in_office, credential_in_office, require_client
from core.texts import Text
from core.types import AuthMethod, CertificateType, CredentialSource, CredentialStatus, utcnow
from core.vault import seal


def status_name(status: str) -> str:
    """A credential status's name (`credential_status.<status>`); an unknown status as it is."""
    return Text(f"credential_status.{status}") if status in set(CredentialStatus) else status


def derived_status(row: Credential | CredentialPublic, now: datetime | None = None) -> CredentialStatus:
    """The status a person should read (issue 11 §5): revoked and expired win over the last authorization step,
    so an expired certificate never reads "przesłany do autoryzacji"."""
    if row.status == CredentialStatus.revoked or getattr(row, "revoked_at", None) is not None:
        return CredentialStatus.revoked
    if row.valid_to is not None and row.valid_to < (now or utcnow()):
        return CredentialStatus.expired
    return CredentialStatus(row.status)


@dataclass(frozen=True)
class CredentialPublic:
    id: int
    client_id: int | None
    kind: str
    source: str
    label: str
    status: str
    certificate_type: str | None
    subject: str
    subject_identifier: str
    serial_number: str
    fingerprint: str
    context_nip: str
    valid_from: datetime | None
    valid_to: datetime | None
    last_used_at: datetime | None
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def is_offline(self) -> bool:
        """An offline certificate (KOD II only): its own kind, never used to authenticate."""
        return self.certificate_type == CertificateType.Offline

    @property
    def shown_status(self) -> CredentialStatus:
        return derived_status(self)

    @classmethod
    def of(cls, row: Credential) -> CredentialPublic:
        assert row.id is not None
        return cls(
            id=row.id,
            client_id=row.client_id,
            kind=row.kind,
            source=row.source,
            label=row.label,
            status=row.status,
            certificate_type=row.certificate_type,
            subject=row.subject,
            subject_identifier=row.subject_identifier,
            serial_number=row.serial_number,
            fingerprint=row.fingerprint,
            context_nip=row.context_nip,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
            last_used_at=row.last_used_at,
            created_at=row.created_at,
            revoked_at=row.revoked_at,
        )


def _client(session: Session, actor: Actor, client_id: int) -> Client:
    return client_in_office(session, actor, client_id)


def wrong_client_message(session: Session, actor: Actor, client: Client, other_nip: str) -> str:
    """ "This belongs to company X (NIP …), not to Y" — naming the other company when it is ours."""
    other = session.exec(select(Client).where(Client.office_id == actor.office_id, Client.nip == other_nip)).first()
    if other is not None:
        return Text(
            "credential.token_of_named", owner=other.name, owner_nip=other_nip, client=client.name, nip=client.nip
        )
    return Text("credential.token_of_nip", owner_nip=other_nip, client=client.name, nip=client.nip)


def add_ksef_token(*, actor: Actor, client_id: int, token: str, label: str = "") -> CredentialPublic:
    """Store a client's KSeF token; a token bound to another context is refused before any call."""
    actor.require(Permission.manage_credentials)
    require_client(actor, client_id)  # ids first: another office's client is not found, whatever the token
    token = token.strip()
    if not has_ksef_token_shape(token):
        raise InvalidInput(Text("credential.not_a_token"))
    with session_scope(write=True) as session:
        client = _client(session, actor, client_id)
        context = token_context_nip(token)
        if context is not None and context != client.nip:
            raise InvalidInput(wrong_client_message(session, actor, client, context))
        row = insert_token(session, office_id=actor.office_id, client=client, token=token, label=label)
        audit.record(session, actor, "credential.add", f"credential:{row.id}", kind=row.kind, client_id=client.id)
        return CredentialPublic.of(row)


def insert_token(session: Session, *, office_id: int, client: Client, token: str, label: str = "") -> Credential:
    row = Credential(
        office_id=office_id,
        client_id=client.id,
        kind=AuthMethod.ksef_token,
        source=CredentialSource.client,
        label=label.strip() or "Token KSeF",
        status=CredentialStatus.active,
        context_nip=token_context_nip(token) or client.nip,
    )
    session.add(row)
    session.flush()
    seal(row, "secret_ciphertext", token)
    session.add(row)
    return row


def add_certificate(
    *,
    actor: Actor,
    client_id: int | None,
    certificate: bytes | None = None,
    private_key: bytes | None = None,
    pkcs12_data: bytes | None = None,
    password: str | None = None,
    label: str = "",
    for_authentication: bool = True,
) -> CredentialPublic:
    """A KSeF certificate with its key; `client_id=None` makes it the office's, serving every client."""
    actor.require(Permission.manage_credentials)
    if client_id is not None:
        require_client(actor, client_id)  # a foreign client is refused before its file is even read
    info, key_pem = load_bundle(
        certificate=certificate,
        private_key=private_key,
        pkcs12_data=pkcs12_data,
        password=password,
        for_authentication=for_authentication,
    )
    with session_scope(write=True) as session:
        if client_id is not None:
            _client(session, actor, client_id)
        same = session.exec(
            select(Credential).where(
                Credential.office_id == actor.office_id,
                Credential.fingerprint == info.fingerprint,
                col(Credential.revoked_at).is_(None),
            )
        ).first()
        if same is not None:  # the same certificate twice would be two links' worth of one secret
            raise Conflict(Text("credential.duplicate_certificate", label=same.label))
        row = insert_certificate(
            session, office_id=actor.office_id, client_id=client_id, info=info, key_pem=key_pem, label=label
        )
        audit.record(session, actor, "credential.add", f"credential:{row.id}", kind=row.kind, serial=info.serial_number)
        return CredentialPublic.of(row)


def insert_certificate(
    session: Session, *, office_id: int, client_id: int | None, info: CertificateInfo, key_pem: str, label: str = ""
) -> Credential:
    authentication = info.certificate_type == CertificateType.Authentication
    row = Credential(
        office_id=office_id,
        client_id=client_id,
        kind=AuthMethod.ksef_certificate,
        source=CredentialSource.office if client_id is None else CredentialSource.client,
        label=label.strip() or info.common_name or "Certyfikat KSeF",
        status=CredentialStatus.submitted if authentication else CredentialStatus.added,
        certificate_pem=info.certificate_pem,
        certificate_type=info.certificate_type,
        subject=info.subject[:500],
        subject_identifier=info.subject_identifier,
        serial_number=info.serial_number,
        fingerprint=info.fingerprint,
        valid_from=info.valid_from,
        valid_to=info.valid_to,
    )
    session.add(row)
    session.flush()
    seal(row, "secret_ciphertext", key_pem)
    session.add(row)
    return row


def signature_anchor(session: Session, *, office_id: int, client_id: int, method: AuthMethod) -> Credential:
    """Qualified signature / Trusted Profile hold no secret; this row anchors their KSeF session."""
    row = session.exec(
        select(Credential).where(
            Credential.client_id == client_id, Credential.kind == method, col(Credential.revoked_at).is_(None)
        )
    ).first()
    if row is None:
        label = "Podpis kwalifikowany" if method == AuthMethod.qualified_signature else "Profil Zaufany"
        row = Credential(office_id=office_id, client_id=client_id, kind=method, label=label)
        session.add(row)
        session.flush()
    return row


def list_credentials(
    *, actor: Actor, client_id: int | None = None, include_office: bool = True, include_revoked: bool = False
) -> list[CredentialPublic]:
    actor.require(Permission.view_secrets_metadata)
    require_client(actor, client_id)
    query = select(Credential).where(Credential.office_id == actor.office_id)
    if client_id is not None:
        scope = Credential.client_id == client_id
        query = query.where(or_(scope, col(Credential.client_id).is_(None)) if include_office else scope)
    if not include_revoked:
        query = query.where(col(Credential.revoked_at).is_(None))
    with session_scope() as session:
        rows = session.exec(
            query.order_by(col(Credential.valid_to).is_(None), col(Credential.valid_to), col(Credential.id))
        ).all()
        return [CredentialPublic.of(r) for r in rows]


def revoke_credential(*, actor: Actor, credential_id: int) -> CredentialPublic:
    """Stop using a credential here (the KSeF-side revoke of a token or certificate is a separate act)."""
    actor.require(Permission.manage_credentials)
    with session_scope(write=True) as session:
        row = credential_in_office(session, actor, credential_id)
        row.revoked_at = row.revoked_at or utcnow()
        row.status = CredentialStatus.revoked
        row.secret_ciphertext = None  # nothing to leak once it is out of use
        session.add(row)
        audit.record(session, actor, "credential.revoke", f"credential:{row.id}")
        public = CredentialPublic.of(row)
    session_cache.forget(credential_id=credential_id)
    return public


def status_of(credential_id: int) -> CredentialStatus | None:
    with session_scope() as session:
        row = session.get(Credential, credential_id)
        return row.status if row is not None else None


def record_authorization(*, actor: Actor, credential_id: int, status: CredentialStatus) -> None:
    """Record a certificate's authorization progress (submitted → accepted → authorized / auth_failed) seen by the
    operation `actor` runs; a change of status is audited."""
    actor.require(Permission.run_operations)
    with session_scope(write=True) as session:
        row = credential_in_office(session, actor, credential_id)
        if row.status == status or row.revoked_at is not None:
            return
        previous, row.status = row.status, status
        if status == CredentialStatus.authorized:
            row.last_used_at = utcnow()
        session.add(row)
        audit.record(
            session, actor, "credential.status", f"credential:{credential_id}", status=status, previous=previous
        )
