"""Signed-in browsers: a UI login that survives reloads and new tabs until logout or the idle timeout.

The browser holds only a signed, HttpOnly cookie with a random session id; this table keeps a SHA-256 of that id
(never the id itself), so a copy of the database cannot be replayed as a login. A login is bound to the browser by a
one-time ticket (its hash here, valid for seconds) that the page hands to the cookie route.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.models.base import created, when


class WebSession(SQLModel, table=True):
    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_hash: str | None = Field(default=None, sa_type=sa.String(64), unique=True)
    ticket_hash: str | None = Field(default=None, sa_type=sa.String(64), unique=True)
    ticket_expires_at: datetime | None = when()
    created_at: datetime = created()
    last_seen_at: datetime = created()
    expires_at: datetime = created()
    revoked_at: datetime | None = when()
