"""`ksef-console invite|access|program`: the client side of Programy klientów from the command line (same services),
and a client user acting through the CLI reaches none of the office's commands."""

from __future__ import annotations

import io
import json

from core.cli import main


def _run(capsys, *argv: str) -> tuple[int, object]:
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else None


def test_invite_allow_and_link_a_program(office, inbox, two_clients, capsys, monkeypatch):
    code, sent = _run(capsys, "invite", "add", "--nip", two_clients.own_nip, "--email", "jan@firma.pl")
    assert code == 0 and sent["mail_status"] == "sent" and sent["invitation"]["state"] == "pending"
    code, listed = _run(capsys, "invite", "list", "--nip", two_clients.own_nip)
    assert code == 0 and [i["email"] for i in listed] == ["jan@firma.pl"]
    code, revoked = _run(capsys, "invite", "revoke", str(sent["invitation"]["id"]))
    assert code == 0 and revoked["state"] == "revoked"

    code, allowed = _run(capsys, "access", "set", "--nip", two_clients.own_nip, "--view-documents", "on")
    assert code == 0 and allowed["view_documents"] and not allowed["send_invoices"]

    monkeypatch.setattr("sys.stdin", io.StringIO("haslo-programu-1\n"))
    code, added = _run(capsys, "program", "add", "--nip", two_clients.own_nip, "--name", "ERP", "--password-stdin")
    assert code == 0 and added["name"] == "ERP"
    code, removed = _run(capsys, "program", "remove", str(added["id"]))
    assert code == 0 and removed["removed_at"]


def test_a_client_user_reaches_no_office_command(office, inbox, two_clients, capsys):
    from core.services.clientside import invitations

    invitations.invite(actor=office.manager, client_id=two_clients.own, email="jan@firma.pl")
    invitations.activate(token=inbox.last_token(), username="jan.klient", password="dobre-haslo-1")
    capsys.readouterr()
    for argv in (["client", "list"], ["invite", "list"], ["program", "list"], ["access", "show", "--nip",
                 two_clients.other_nip]):  # fmt: skip
        code, refused = _run(capsys, *argv, "--as", "jan.klient")
        assert code == 1 and refused["errors"], argv
