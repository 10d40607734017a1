"""`ksef-console certificate …` and `ksef-console campaign tokens …` with --json against the simulator."""

from __future__ import annotations

import json

import sqlalchemy as sa

from core import db
from core.cli import main
from core.models import Client
from tests.core.services.campaign.test_token_campaign import inbox, token_office  # noqa: F401 - fixture
from tests.linking import office_certificate
from tests.simulated import seed_clients


def _run(capsys, *argv: str) -> tuple[int, object]:
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_certificate_commands(sim, office, capsys):
    seeded = seed_clients(sim, office, ["healthy"])
    office_certificate(seeded)
    code, limits = _run(capsys, "certificate", "limits")
    assert code == 0 and limits["enrollment_remaining"] == 300 and limits["blocked_reason"] == ""
    code, started = _run(capsys, "certificate", "enroll", "--name", "Biuro CLI 2027", "--wait")
    assert code == 0 and started["status"] == "active" and started["credential_id"]
    code, listed = _run(capsys, "certificate", "list")
    assert code == 0 and [e["certificate_name"] for e in listed] == ["Biuro CLI 2027"]
    code, in_ksef = _run(capsys, "certificate", "list", "--ksef")
    assert code == 0 and started["serial_number"] in {c["certificateSerialNumber"] for c in in_ksef}
    code, again = _run(capsys, "certificate", "retrieve", str(started["id"]))
    assert code == 0 and again["status"] == "active"
    code, revoked = _run(capsys, "certificate", "revoke", str(started["credential_id"]), "--reason", "Superseded")
    assert code == 0 and revoked["status"] == "revoked"
    code, refused = _run(capsys, "certificate", "enroll", "--name", "abc")
    assert code == 2 and refused["errors"] == ["Nazwa certyfikatu musi mieć od 5 do 100 znaków."]


def test_campaign_commands(sim, office, capsys, inbox, tmp_path):  # noqa: F811
    seeded, _ = token_office(sim, office, granted=2, missing=1)
    code, status = _run(capsys, "campaign", "tokens", "status")
    assert code == 0 and (status["remaining"], status["eligible"]) == (3, 0)
    code, status = _run(capsys, "campaign", "tokens", "status", "--check")
    assert code == 0 and (status["remaining"], status["eligible"]) == (3, 2)
    code, switched = _run(capsys, "campaign", "tokens", "switch")
    assert code == 0 and len(switched["switched"]) == 2 and not switched["failed"]
    code, sent = _run(capsys, "campaign", "tokens", "instructions")
    assert code == 0 and (sent["sent"], sent["already"]) == (1, 0)
    code, status = _run(capsys, "campaign", "tokens", "status")
    assert (status["remaining"], status["eligible"], status["switched"]) == (1, 0, 2)
    assert status["statuses"]["instruction_sent"] == 1
    pdf = tmp_path / "list.pdf"
    code, written = _run(
        capsys, "campaign", "tokens", "instructions", "--pdf", str(pdf), "--nip", seeded.nips["rights_missing"]
    )
    assert code == 0 and written["pdf"] == str(pdf) and pdf.read_bytes().startswith(b"%PDF")
    with db.session_scope() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(Client)).scalar_one() == 3
