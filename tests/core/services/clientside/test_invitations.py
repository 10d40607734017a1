"""Invitations: an e-mail with a single-use, expiring link; activation makes a client user bound to one company."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from core import db
from core.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound, PermissionDenied
from core.models import AuditEvent, ClientInvitation, User, UserCreate
from core.services import users
from core.services.clientside import invitations
from core.types import Role, utcnow


def test_an_invitation_mails_a_link_that_makes_a_client_user_once(office, inbox, two_clients):
    sent = invitations.invite(actor=office.support, client_id=two_clients.own, email="jan@firma.pl", full_name="Jan")
    assert sent.mail_status == "sent"
    assert inbox.messages[-1][0] == ["jan@firma.pl"]
    token = inbox.last_token()
    with db.session_scope() as session:
        row = session.exec(select(ClientInvitation)).one()
        assert token not in row.token_hash and row.token_hash == invitations.token_hash(token)  # only a hash is kept
    assert invitations.check(token).state == "pending"
    assert invitations.check(token).client_name == "Firma Własna"

    user = invitations.activate(token=token, username="jan.klient", password="dobre-haslo-1")
    assert user.role == Role.client
    actor = users.authenticate(username="jan.klient", password="dobre-haslo-1")
    assert actor.role == Role.client and actor.client_id == two_clients.own
    with pytest.raises(InvalidInput) as second:
        invitations.activate(token=token, username="jan.drugi", password="dobre-haslo-1")
    assert "już użyty" in str(second.value)
    assert invitations.check(token).state == "accepted"
    with db.session_scope() as session:
        actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()]
    assert {"invitation.create", "invitation.mail", "invitation.accept"} <= set(actions)


def test_activation_keeps_the_office_password_policy(office, inbox, two_clients):
    invitations.invite(actor=office.manager, client_id=two_clients.own, email="a@firma.pl")
    token = inbox.last_token()
    with pytest.raises(InvalidInput):
        invitations.activate(token=token, username="krotkie", password="abc")
    assert invitations.check(token).state == "pending"  # a refused password leaves the link usable
    with db.session_scope() as session:
        assert session.exec(select(User).where(User.username == "krotkie")).first() is None


def test_an_expired_link_says_so_and_a_resend_gives_a_new_one(office, inbox, two_clients):
    first = invitations.invite(actor=office.manager, client_id=two_clients.own, email="a@firma.pl")
    old_token = inbox.last_token()
    with db.session_scope(write=True) as session:
        session.execute(sa.update(ClientInvitation).values(expires_at=utcnow() - timedelta(minutes=1)))
    assert invitations.check(old_token).state == "expired"
    with pytest.raises(InvalidInput) as expired:
        invitations.activate(token=old_token, username="anna.k", password="dobre-haslo-1")
    assert "wygasł" in str(expired.value)

    again = invitations.resend(actor=office.manager, invitation_id=first.invitation.id)
    assert again.mail_status == "sent" and again.invitation.state == "pending" and again.invitation.sent_count == 2
    new_token = inbox.last_token()
    assert new_token != old_token
    assert invitations.check(old_token).state == "unknown"  # the old e-mail's link stops working
    invitations.activate(token=new_token, username="anna.k", password="dobre-haslo-1")
    with pytest.raises(Conflict):
        invitations.resend(actor=office.manager, invitation_id=first.invitation.id)


def test_a_revoked_invitation_cannot_be_used_or_resent(office, inbox, two_clients):
    sent = invitations.invite(actor=office.manager, client_id=two_clients.own, email="a@firma.pl")
    token = inbox.last_token()
    assert invitations.revoke(actor=office.manager, invitation_id=sent.invitation.id).state == "revoked"
    with pytest.raises(InvalidInput) as used:
        invitations.activate(token=token, username="anna.k", password="dobre-haslo-1")
    assert "wycofało" in str(used.value)
    with pytest.raises(Conflict):
        invitations.resend(actor=office.manager, invitation_id=sent.invitation.id)


def test_only_manager_and_support_invite_and_only_into_their_office(office, inbox, two_clients):
    with pytest.raises(PermissionDenied):
        invitations.invite(actor=office.analyst, client_id=two_clients.own, email="a@firma.pl")
    with pytest.raises(NotFound):
        invitations.invite(actor=office.manager, client_id=99999, email="a@firma.pl")
    with pytest.raises(InvalidInput):
        invitations.invite(actor=office.manager, client_id=two_clients.own, email="nie adres")
    assert invitations.check("zmyslony-token").state == "unknown"


def test_the_client_role_is_never_given_to_an_office_account(office):
    with pytest.raises(InvalidInput):
        users.add_user(actor=office.manager, data=UserCreate(username="ktos", password="dobre-haslo-1", role="client"))
    with pytest.raises(InvalidInput):
        users.set_role(actor=office.manager, username="analityk", role="client")


def test_a_client_user_holds_no_office_permission(office, inbox, two_clients):
    invitations.invite(actor=office.manager, client_id=two_clients.own, email="a@firma.pl")
    invitations.activate(token=inbox.last_token(), username="klient.a", password="dobre-haslo-1")
    actor = users.authenticate(username="klient.a", password="dobre-haslo-1")
    from core.security import Permission

    assert not any(actor.can(p) for p in Permission)
    with pytest.raises(AuthenticationFailed):
        users.authenticate(username="klient.a", password="zle-haslo")
