"""The one check every client-side service makes: the acting client user reaches only its own company."""

from __future__ import annotations

from sqlmodel import Session

from core.errors import NotFound, PermissionDenied
from core.models import Client
from core.security import Actor
from core.texts import Text
from core.types import Role


def client_of(actor: Actor) -> int:
    """The company a client user is bound to; anyone else is refused (office staff use the office's services)."""
    if actor.role != Role.client or actor.client_id is None:
        raise PermissionDenied(Text("clientside.client_only"))
    return actor.client_id


def bound_client(session: Session, actor: Actor, client_id: int | None = None) -> Client:
    """The client user's company; asking for another company's id reads as "not found"."""
    own = client_of(actor)
    client = session.get(Client, own)
    if client is None or client.office_id != actor.office_id or (client_id is not None and client_id != own):
        raise NotFound(Text("client.not_found", id=client_id if client_id is not None else own))
    return client


def office_client(session: Session, actor: Actor, client_id: int) -> Client:
    """A client of the acting office user's office (for the office's side of the client-side services)."""
    client = session.get(Client, client_id)
    if client is None or client.office_id != actor.office_id:
        raise NotFound(Text("client.not_found", id=client_id))
    return client
