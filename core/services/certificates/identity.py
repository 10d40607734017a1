"""Acting in KSeF as an identity of the office (or of a client) with one of its authentication certificates.

Certificate enrollment and revocation need an XAdES authentication (PROTOCOL.md §11); the console signs the
AuthTokenRequest with the identity's stored certificate, in the identity's own context (the office's NIP, or the
client's). The key is opened for that one signature; no database transaction is open while KSeF answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from sqlmodel import Session, col, select

from core.db import session_scope
from core.errors import InvalidInput, NotFound
from core.ksef.auth import authenticate_with_certificate
from core.ksef.gateway import KsefGateway
from core.models import Client, Credential, Office
from core.security import Actor
from core.texts import Text
from core.types import AuthMethod, CertificateType, utcnow
from core.vault import unseal_text

T = TypeVar("T")


@dataclass(frozen=True)
class Identity:
    credential_id: int
    client_id: int | None  # None: the office's own identity
    environment: str
    context_nip: str
    label: str


def default_identity_id(session: Session, office_id: int, client_id: int | None = None) -> int | None:
    """The newest usable authentication certificate of the office (or of the client)."""
    owner = col(Credential.client_id).is_(None) if client_id is None else Credential.client_id == client_id
    row = session.exec(
        select(Credential)
        .where(Credential.office_id == office_id, owner, Credential.kind == AuthMethod.ksef_certificate)
        .where(Credential.certificate_type == CertificateType.Authentication, col(Credential.revoked_at).is_(None))
        .where(col(Credential.secret_ciphertext).is_not(None))
        .order_by(col(Credential.valid_to).desc(), col(Credential.id).desc())
    ).first()
    if row is None or (row.valid_to is not None and row.valid_to < utcnow()):
        return None
    return row.id


def resolve(session: Session, actor: Actor, credential_id: int | None, client_id: int | None = None) -> Identity:
    """The identity a request acts as: the given certificate, or the default one of the office (or client)."""
    if credential_id is None:
        credential_id = default_identity_id(session, actor.office_id, client_id)
        if credential_id is None:
            raise NotFound(Text("enrollment.no_identity"))
    row = session.get(Credential, credential_id)
    if row is None or row.office_id != actor.office_id or row.revoked_at is not None:
        raise NotFound(Text("credential.not_found", id=credential_id))
    if row.kind != AuthMethod.ksef_certificate or row.certificate_type != CertificateType.Authentication:
        raise InvalidInput(Text("enrollment.identity_not_authentication"))
    office = session.get(Office, actor.office_id)
    assert office is not None and row.id is not None
    if row.client_id is None:
        environment, context = str(office.default_environment), office.nip
    else:
        client = session.get(Client, row.client_id)
        assert client is not None
        environment, context = str(client.environment), client.nip
    return Identity(row.id, row.client_id, environment, context, row.label)


def _material(credential_id: int) -> tuple[str, str]:
    with session_scope() as session:
        row = session.get(Credential, credential_id)
        if row is None or row.secret_ciphertext is None:
            raise NotFound(Text("credential.not_found", id=credential_id))
        return unseal_text(row, "secret_ciphertext"), row.certificate_pem or ""


@contextmanager
def signed_in(identity: Identity) -> Iterator[tuple[KsefGateway, str]]:
    """A gateway in the identity's context and an access token of an XAdES authentication with its certificate."""
    key_pem, certificate_pem = _material(identity.credential_id)
    with KsefGateway(identity.environment, identity.context_nip) as gateway:
        tokens = authenticate_with_certificate(gateway, certificate_pem=certificate_pem, private_key_pem=key_pem)
        del key_pem
        yield gateway, tokens.access_token


def run_as(identity: Identity, function: Callable[[KsefGateway, str], T]) -> T:
    with signed_in(identity) as (gateway, token):
        return function(gateway, token)
