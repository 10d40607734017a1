"""Access and refresh tokens per (client, credential), shared by every process through the database.

The tokens are sealed in `ksef_session`; an access token is refreshed a little before it expires, and when the
refresh token is gone the token and certificate methods authenticate again by themselves. Signature methods cannot:
they end in `auth_required` until a person signs again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import select

from core.db import session_scope
from core.ksef.auth import AuthTokens, refresh_access
from core.ksef.errors import KsefFailure
from core.ksef.gateway import KsefGateway
from core.models import KsefSession
from core.texts import Text
from core.types import ProblemClass, utcnow
from core.vault import seal, unseal_value

REFRESH_MARGIN = timedelta(seconds=90)
Authenticate = Callable[[], AuthTokens]


def _load(client_id: int, credential_id: int) -> tuple[str | None, str | None]:
    """The usable tokens; a Core read (every KSeF operation starts here), and a token is opened only when usable."""
    now = utcnow()
    table = KsefSession.__table__  # type: ignore[attr-defined]
    with session_scope() as session:
        row = session.execute(
            sa.select(
                table.c.id,
                table.c.access_ciphertext,
                table.c.access_valid_until,
                table.c.refresh_ciphertext,
                table.c.refresh_valid_until,
            )
            .where(table.c.client_id == client_id, table.c.credential_id == credential_id)
            .limit(1)
        ).first()
    if row is None:
        return None, None
    if row.access_ciphertext and row.access_valid_until and row.access_valid_until > now + REFRESH_MARGIN:
        return unseal_value(table.name, row.id, "access_ciphertext", row.access_ciphertext), None
    if row.refresh_ciphertext and row.refresh_valid_until and row.refresh_valid_until > now + REFRESH_MARGIN:
        return None, unseal_value(table.name, row.id, "refresh_ciphertext", row.refresh_ciphertext)
    return None, None


def store(client_id: int, credential_id: int, tokens: AuthTokens) -> None:
    with session_scope(write=True) as session:
        row = session.exec(
            select(KsefSession).where(KsefSession.client_id == client_id, KsefSession.credential_id == credential_id)
        ).first()
        if row is None:
            row = KsefSession(client_id=client_id, credential_id=credential_id)
            session.add(row)
            session.flush()
        seal(row, "access_ciphertext", tokens.access_token)
        seal(row, "refresh_ciphertext", tokens.refresh_token)
        row.access_valid_until = tokens.access_valid_until
        row.refresh_valid_until = tokens.refresh_valid_until
        row.auth_reference = tokens.reference_number
        row.updated_at = utcnow()
        session.add(row)


def _store_access(client_id: int, credential_id: int, access: str, valid_until: object) -> None:
    with session_scope(write=True) as session:
        row = session.exec(
            select(KsefSession).where(KsefSession.client_id == client_id, KsefSession.credential_id == credential_id)
        ).one()
        seal(row, "access_ciphertext", access)
        row.access_valid_until = valid_until  # type: ignore[assignment]
        row.updated_at = utcnow()
        session.add(row)


def forget(*, client_id: int | None = None, credential_id: int | None = None, access_only: bool = False) -> None:
    """Drop cached tokens (after a 401, a revoke, or a new credential)."""
    with session_scope(write=True) as session:
        query = select(KsefSession)
        if client_id is not None:
            query = query.where(KsefSession.client_id == client_id)
        if credential_id is not None:
            query = query.where(KsefSession.credential_id == credential_id)
        for row in session.exec(query).all():
            if access_only:
                row.access_ciphertext, row.access_valid_until = None, None
                session.add(row)
            else:
                session.delete(row)


def access_token(gateway: KsefGateway, *, client_id: int, credential_id: int, authenticate: Authenticate | None) -> str:
    """A valid access token for the client's context: cached, refreshed, or from a new authentication."""
    access, refresh = _load(client_id, credential_id)
    if access is not None:
        return access
    if refresh is not None:
        try:
            new_access, valid_until = refresh_access(gateway, refresh_token=refresh)
        except KsefFailure as failure:
            if failure.problem_class not in {ProblemClass.auth_required, ProblemClass.invalid_credentials}:
                raise
        else:
            _store_access(client_id, credential_id, new_access, valid_until)
            return new_access
    if authenticate is None:
        raise KsefFailure(
            ProblemClass.auth_required,
            Text("ksef.signature_session_expired"),
        )
    tokens = authenticate()
    store(client_id, credential_id, tokens)
    return tokens.access_token
