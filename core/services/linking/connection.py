"""Talking to KSeF on behalf of one linked client: its link facts, its credential, its cached session.

The facts are read in one short transaction; the credential's secret is opened only when an authentication is
really needed, and the database is never held open while KSeF answers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa
from sqlmodel import Session

from core.db import columns, session_scope
from core.errors import NotFound, NotLinked
from core.ksef import session_cache
from core.ksef.auth import AuthTokens, StepCallback, authenticate_with_certificate, authenticate_with_token
from core.ksef.errors import KsefFailure
from core.ksef.gateway import KsefGateway
from core.ksef.limiter import RateLimiter
from core.ksef.transcript import Transcript
from core.models import Client, Credential, Link
from core.security import Actor
from core.services.linking import credentials
from core.services.scope import is_id
from core.texts import Text
from core.types import AuthMethod, CertificateType, CredentialStatus, ProblemClass
from core.vault import unseal_text

T = TypeVar("T")


@dataclass(frozen=True)
class LinkFacts:
    office_id: int
    client_id: int
    client_name: str
    nip: str
    environment: str
    link_id: int
    auth_method: str
    credential_id: int
    company_key: str
    send_enabled: bool


def link_facts(session: Session, client_id: int, *, office_id: int | None = None) -> LinkFacts:
    """The client's active link, read in one statement (every KSeF operation starts here). With `office_id`, a
    client of another office is not found either."""
    client, link = columns(Client), columns(Link)
    active = sa.and_(link.client_id == client.id, link.unlinked_at.is_(None))
    row = (
        session.execute(
            sa.select(
                client.office_id,
                client.name,
                client.nip,
                link.id,
                link.environment,
                link.auth_method,
                link.credential_id,
                link.company_key,
                link.send_enabled,
            )
            .select_from(Client.__table__.outerjoin(Link.__table__, active))  # type: ignore[attr-defined]
            .where(client.id == client_id)
            .order_by(link.id.desc())
            .limit(1)
        ).first()
        if is_id(client_id)
        else None
    )
    if row is None or (office_id is not None and row.office_id != office_id):
        raise NotFound(Text("client.not_found", id=client_id))
    if row.id is None or row.credential_id is None:
        raise KsefFailure(ProblemClass.auth_required, Text("link.client_not_linked", client=row.name))
    return LinkFacts(
        office_id=row.office_id,
        client_id=client_id,
        client_name=row.name,
        nip=row.nip,
        environment=row.environment,
        link_id=row.id,
        auth_method=row.auth_method,
        credential_id=row.credential_id,
        company_key=row.company_key,
        send_enabled=row.send_enabled,
    )


def load_facts(client_id: int) -> LinkFacts:
    with session_scope() as session:
        return link_facts(session, client_id)


def facts_for(actor_office_id: int, client_id: int) -> LinkFacts:
    """`load_facts` for a user's request: a client of another office is not found, and a client without a link
    is refused as NotLinked (rather than as a KsefFailure: nothing was asked of KSeF)."""
    with session_scope() as session:
        client = session.get(Client, client_id)
        if client is None or client.office_id != actor_office_id:
            raise NotFound(Text("client.not_found", id=client_id))
        try:
            return link_facts(session, client_id)
        except KsefFailure as failure:
            raise NotLinked(failure.message) from None


def authenticator(
    facts: LinkFacts, gateway: KsefGateway, actor: Actor, on_step: StepCallback | None = None
) -> Callable[[], AuthTokens] | None:
    """How to authenticate again without a person: token and certificate methods can, signatures cannot.
    `actor` runs the operation; a certificate's authorization progress is recorded in their name."""
    if facts.auth_method == AuthMethod.ksef_token:

        def with_token() -> AuthTokens:
            return authenticate_with_token(gateway, token=_secret(facts.credential_id)[0], on_step=on_step)

        return with_token
    if facts.auth_method == AuthMethod.ksef_certificate:

        def with_certificate() -> AuthTokens:
            key_pem, certificate_pem, certificate_type = _secret(facts.credential_id)
            if certificate_type == CertificateType.Offline:
                raise KsefFailure(ProblemClass.invalid_credentials, Text("link.offline_certificate"))
            prior = credentials.status_of(facts.credential_id)

            def record(status: CredentialStatus) -> None:
                credentials.record_authorization(actor=actor, credential_id=facts.credential_id, status=status)

            if prior == CredentialStatus.submitted:
                record(CredentialStatus.accepted)
            try:
                tokens = authenticate_with_certificate(
                    gateway, certificate_pem=certificate_pem, private_key_pem=key_pem, on_step=on_step
                )
            except KsefFailure as failure:
                # The certificate itself worked when KSeF only lacks rights for it in this context (415).
                outcome = {
                    ProblemClass.invalid_credentials: CredentialStatus.auth_failed,
                    ProblemClass.missing_rights: CredentialStatus.authorized,
                }.get(failure.problem_class, prior)
                if outcome is not None:
                    record(outcome)
                raise
            record(CredentialStatus.authorized)
            return tokens

        return with_certificate
    return None


def _subject_identifier(credential_id: int) -> str:
    with session_scope() as session:
        row = session.get(Credential, credential_id)
        return row.subject_identifier if row is not None else ""


def _secret(credential_id: int) -> tuple[str, str, str]:
    """(secret, certificate PEM, certificate type) of a usable credential."""
    with session_scope() as session:
        row = session.get(Credential, credential_id)
        if row is None or row.revoked_at is not None or row.secret_ciphertext is None:
            raise KsefFailure(ProblemClass.invalid_credentials, Text("link.credential_removed"))
        return unseal_text(row, "secret_ciphertext"), row.certificate_pem or "", row.certificate_type or ""


class KsefCall:
    """A gateway for the client plus its access token, with one transparent retry after a 401."""

    # The session cache hands out tokens valid for at least 90 more seconds; one operation reuses its token this
    # long instead of reading the database before every call.
    REUSE_SECONDS = 60.0

    def __init__(
        self, facts: LinkFacts, gateway: KsefGateway, actor: Actor, on_step: StepCallback | None = None
    ) -> None:
        self.facts = facts
        self.gateway = gateway
        self.actor = actor
        self._authenticate = authenticator(facts, gateway, actor, on_step)
        self._token: tuple[str, float] | None = None

    def access_token(self) -> str:
        if self._token is not None and time.monotonic() - self._token[1] < self.REUSE_SECONDS:
            return self._token[0]
        token = session_cache.access_token(
            self.gateway,
            client_id=self.facts.client_id,
            credential_id=self.facts.credential_id,
            authenticate=self._authenticate,
        )
        self._token = (token, time.monotonic())
        return token

    def permissions(self, access_token: str) -> list[str]:
        """What the office may do in the context: its grants there, for a token the token's own permission set, and
        everything when the credential's subject is the context's owner (role Owner, PROTOCOL.md §9)."""
        held = set(self.gateway.personal_permissions(access_token))
        if _subject_identifier(self.facts.credential_id) == self.facts.nip:
            held.add("Owner")
        if self.facts.auth_method == AuthMethod.ksef_token:
            reference = _secret(self.facts.credential_id)[0].split("|")[0]
            held.update(self.gateway.token_permissions(access_token, reference))
        return sorted(held)

    def run(self, function: Callable[[str], T]) -> T:
        try:
            return function(self.access_token())
        except KsefFailure as failure:
            if failure.http_status != 401:
                raise
        session_cache.forget(client_id=self.facts.client_id, credential_id=self.facts.credential_id, access_only=True)
        self._token = None
        return function(self.access_token())


@contextmanager
def open_ksef(
    facts: LinkFacts,
    actor: Actor,
    *,
    transcript: Transcript | None = None,
    limiter: RateLimiter | None = None,
    on_step: StepCallback | None = None,
) -> Iterator[KsefCall]:
    with KsefGateway(facts.environment, facts.nip, transcript=transcript, limiter=limiter) as gateway:
        yield KsefCall(facts, gateway, actor, on_step)
