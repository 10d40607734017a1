"""The CLI is the administrator's tool on the server and says so; `--as` makes every command obey that user's role and
office (issue 10 #2, #9); no command ends in a traceback."""

from __future__ import annotations

import argparse
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import func, select

from core import db
from core.cli import build_parser, main
from core.models import ClientCreate, Office
from core.services.clients.register import add_client
from tests.conftest import OfficeActors, make_office
from tests.factories import valid_nips
from tests.seeding import add_certificate, add_invoice, add_problem, set_link_status

# Options that name a row of an office: every command taking one is walked below.
ID_OPTIONS = {"--id", "--nip", "--nips", "--ksef", "--credential-id", "credential", "username", "--identity"}
CREATING = {"client add", "user add", "office init"}  # their NIP or login names a new row, not an existing one


@dataclass(frozen=True)
class Target:
    client_id: int
    nip: str
    credential_id: int
    problem_id: int
    ksef_number: str
    username: str


def office_with_rows(office: OfficeActors) -> Target:
    """`office` gets a linked client with a certificate, a problem and an invoice: the rows another office aims at."""
    nip = valid_nips(1, seed=41)[0]
    client_id = add_client(actor=office.manager, data=ClientCreate(nip=nip, name="Tajny Klient")).id
    set_link_status(client_id, "linked")
    from datetime import UTC, datetime, timedelta

    add_certificate(office, client_id, valid_to=datetime.now(UTC) + timedelta(days=300), label="tajny")
    add_problem(office, client_id, "network")
    ksef_number = "5265877635-20261102-0100003F0A12-D3"
    add_invoice(client_id, number="FV/TAJNA/1", ksef_number=ksef_number, upo=b"<UPO/>")
    from core.models import Credential, Problem

    with db.session_scope() as session:
        credential_id = session.exec(select(Credential.id).where(Credential.client_id == client_id)).one()
        problem_id = session.exec(select(Problem.id).where(Problem.client_id == client_id)).one()
    assert credential_id is not None and problem_id is not None
    from core.models import Link
    from core.types import AuthMethod, KsefEnvironment

    with db.session_scope(write=True) as session:
        method, environment = AuthMethod.ksef_certificate, KsefEnvironment.SIM
        session.add(Link(client_id=client_id, credential_id=credential_id, environment=environment, auth_method=method))
    return Target(client_id, nip, credential_id, problem_id, ksef_number, office.support.username)


def foreign_commands(t: Target, folder: Path) -> list[list[str]]:
    """Every CLI command that takes an id, aimed at `t` (another office's rows)."""
    (folder / "f.xml").write_bytes(b"<Faktura/>")
    (folder / "c.pem").write_bytes(b"not a certificate")
    i, n, f = str(t.client_id), t.nip, str(folder / "f.xml")
    out = str(folder / "out.bin")
    return [
        ["client", "edit", "--id", i, "--name", "Przejęty"], ["client", "edit", "--nip", n, "--name", "Przejęty"],
        ["client", "archive", "--id", i], ["client", "archive", "--nip", n],
        ["link", "verify", "--id", i], ["link", "verify", "--nip", n],
        ["link", "connect", "--id", i, "--method", "ksef_token"],
        ["link", "connect", "--nip", n, "--method", "ksef_token"],
        ["link", "connect", "--nips", n, "--method", "ksef_token"],
        ["link", "unlink", "--id", i], ["link", "unlink", "--nip", n],
        ["key", "show", "--id", i], ["key", "verify", "--id", i, "--key", "x"], ["key", "reissue", "--nip", n],
        ["credential", "add-token", "--id", i], ["credential", "add-token", "--nip", n],
        ["credential", "add-cert", "--id", i, "--cert", str(folder / "c.pem"), "--key", str(folder / "c.pem")],
        ["credential", "list", "--id", i], ["credential", "list", "--nip", n],
        ["credential", "revoke", str(t.credential_id)],
        ["rights", "--id", i], ["self-test", "--nip", n],
        ["problems", "retry", "--id", str(t.problem_id)],
        ["problems", "bundle", "--id", str(t.problem_id), "--out", out],
        ["signature", "start", "--id", i, "--method", "qualified_signature", "--out", out],
        ["signature", "complete", "--id", i, "--method", "qualified_signature", "--file", f],
        ["sync", "--id", i], ["sync", "--nip", n],
        ["invoice", "send", f, "--nip", n], ["invoice", "list", "--nip", n],
        ["invoice", "xml", "--ksef", t.ksef_number, "--out", out],
        ["upo", "get", "--ksef", t.ksef_number, "--out", out],
        ["user", "disable", t.username], ["user", "set-role", t.username, "analyst"],
        ["certificate", "limits", "--identity", str(t.credential_id)],
        ["certificate", "enroll", "--name", "Przejęty", "--identity", str(t.credential_id)],
        ["certificate", "list", "--ksef", "--identity", str(t.credential_id)],
        ["certificate", "revoke", str(t.credential_id)],
        ["campaign", "tokens", "instructions", "--nip", n],
        ["campaign", "tokens", "instructions", "--nip", n, "--pdf", out],
        ["campaign", "tokens", "restore", "--nip", n],
        ["invite", "add", "--nip", n, "--email", "obcy@firma.pl"], ["invite", "list", "--nip", n],
        ["access", "show", "--nip", n], ["access", "set", "--nip", n, "--view-documents", "on"],
        ["program", "add", "--nip", n, "--name", "Obcy", "--password-stdin"], ["program", "list", "--nip", n],
    ]  # fmt: skip


def _leaf_commands() -> dict[str, set[str]]:
    """Each leaf command of the parser → its option strings and positional names."""
    found: dict[str, set[str]] = {}

    def walk(parser: argparse.ArgumentParser, path: list[str]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, [*path, name])
                return
        found[" ".join(path)] = {o for a in parser._actions for o in (a.option_strings or [a.dest])}

    walk(build_parser(), [])
    return found


def run_as(username: str, argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setattr("sys.stdin", io.StringIO("x" * 40 + "\n"))
    code = main([*argv, "--as", username, "--json"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def fingerprint() -> tuple[object, ...]:
    """Rows per table and every client's state: a command that touched nothing leaves it as it was."""
    from sqlmodel import SQLModel

    from core.models import Client

    with db.session_scope() as session:
        counts = [session.exec(select(func.count()).select_from(t)).one() for t in SQLModel.metadata.sorted_tables]
        clients = session.exec(select(Client.name, Client.link_status, Client.archived_at).order_by(Client.id)).all()
    return (*counts, *clients)


def cli_walk(mine: OfficeActors, foreign: OfficeActors, folder: Path, monkeypatch, capsys) -> tuple[int, list[str]]:
    """Every id-taking command as every role of `foreign`, aimed at `mine`'s rows: (commands tried, allowed)."""
    target = office_with_rows(mine)
    tried, allowed = 0, []
    for argv in foreign_commands(target, folder):
        for actor in (foreign.manager, foreign.support, foreign.analyst):
            before = fingerprint()
            code, out, err = run_as(actor.username, argv, monkeypatch, capsys)
            tried += 1
            leaked = "Tajny Klient" in out + err or "FV/TAJNA" in out + err
            if code == 0 or leaked or fingerprint() != before or "Traceback" in err:
                allowed.append(f"{' '.join(argv)} as {actor.role}: exit {code} {out[:200]} {err[:200]}")
    return tried, allowed


def test_every_id_taking_command_is_walked(tmp_path):
    target = Target(1, "5265877635", 1, 1, "x", "u")
    leaves = _leaf_commands()
    walked = {
        next(" ".join(argv[:depth]) for depth in (3, 2, 1) if " ".join(argv[:depth]) in leaves)
        for argv in foreign_commands(target, tmp_path)
    }
    taking_ids = {name for name, options in leaves.items() if options & ID_OPTIONS}
    assert taking_ids - walked - CREATING == set()


def test_no_command_reaches_another_offices_rows(office, tmp_path, monkeypatch, capsys):
    foreign = make_office(name="Biuro Obce", nip="7740001454", account_id="BR-OBCE", suffix="-obcy")
    tried, allowed = cli_walk(office, foreign, tmp_path, monkeypatch, capsys)
    assert tried >= 90
    assert allowed == []


def test_help_says_it_is_the_administrators_tool(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "narzędzie administratora na serwerze" in out and "czyta bazę danych" in out


def _offices() -> int:
    with db.session_scope() as session:
        return int(session.exec(select(func.count()).select_from(Office)).one())


def test_office_init_refuses_a_second_office_unless_forced(office, monkeypatch, capsys):
    init = ["office", "init", "--name", "Drugie", "--nip", "7740001454", "--account-id", "BR-2", "--manager", "nowy",
            "--password-stdin", "--json"]  # fmt: skip
    monkeypatch.setattr("sys.stdin", io.StringIO("bardzo-dlugie-haslo-1\n"))
    assert main(init) == 1 and "już istnieje" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("bardzo-dlugie-haslo-1\n"))
    assert main([*init, "--force", "--as", "analityk"]) == 1
    assert _offices() == 1
    monkeypatch.setattr("sys.stdin", io.StringIO("bardzo-dlugie-haslo-1\n"))
    assert main([*init, "--force", "--as", "kierownik"]) == 0
    assert _offices() == 2


@pytest.mark.parametrize(
    "argv",
    [
        ["demo", "seed", "--no-simulator"],
        ["worker", "run-once"],
        ["worker", "ping", "--timeout", "0.2"],
        ["db", "upgrade"],
        ["run"],
        ["keys", "rotate"],
    ],
)
def test_admin_commands_obey_as(office, argv, capsys):
    offices = _offices()
    code = main([*argv, "--as", "nikt", "--json"])
    assert code == 1 and "Nie ma aktywnego użytkownika nikt" in capsys.readouterr().out
    if argv[0] != "worker" or argv[1] != "ping":  # any role may ping a worker (Permission.view)
        code = main([*argv, "--as", "analityk", "--json"])
        assert code == 1 and "uprawni" in capsys.readouterr().out.lower()
    assert _offices() == offices


def test_no_traceback_only_one_polish_sentence(office, monkeypatch, capsys, tmp_path):
    code = main(["client", "import", str(tmp_path / "brak.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1

    def broken(**_: object) -> None:
        raise ZeroDivisionError("bug")

    monkeypatch.setattr("core.services.clients.register.list_clients", broken)
    code = main(["client", "list", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 2 and out["errors"] == ["Nieoczekiwany błąd (ZeroDivisionError); polecenie przerwano "
                                           "(szczegóły: KSEF_CONSOLE_LOG_LEVEL=DEBUG)."]  # fmt: skip
