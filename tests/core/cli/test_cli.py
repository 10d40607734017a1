"""`ksef-console` calls the same services as the UI and prints JSON with --json."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from core.cli import main
from simulator.testing import free_port, wait_healthy
from tests.factories import two_hundred_clients_with_three_bad_rows, valid_nips
from tests.simulated import seed_clients


def _run(capsys, *argv: str) -> tuple[int, object]:
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else None


def test_client_commands(office, capsys, tmp_path):
    nip = valid_nips(1, seed=21)[0]
    code, added = _run(capsys, "client", "add", "--nip", nip, "--name", "Piekarnia")
    assert code == 0 and added["nip"] == nip
    code, listing = _run(capsys, "client", "list")
    assert code == 0 and listing["total"] == 1
    code, refused = _run(capsys, "client", "add", "--nip", "1234567890", "--name", "X")
    assert code == 2 and refused["errors"] == ["NIP 1234567890 ma błędną sumę kontrolną"]
    content, expected = two_hundred_clients_with_three_bad_rows()
    path = tmp_path / "klienci.csv"
    path.write_bytes(content)
    code, report = _run(capsys, "client", "import", str(path))
    assert code == 1 and report["errors"] == expected and report["imported"] == 0
    code, archived = _run(capsys, "client", "archive", "--nip", nip)
    assert code == 0 and archived["archived_at"]


def test_user_commands_act_as_a_user(office, capsys):
    code, users = _run(capsys, "user", "list")
    assert code == 0 and [u["username"] for u in users] == ["analityk", "kierownik", "wsparcie"]
    code, refused = _run(capsys, "user", "set-role", "analityk", "manager", "--as", "wsparcie")
    assert code == 1 and refused["errors"] == ["Rola support nie ma uprawnienia: zarządzanie użytkownikami"]
    code, changed = _run(capsys, "user", "set-role", "analityk", "support", "--as", "kierownik")
    assert code == 0 and changed["role"] == "support"


def test_linking_commands_against_the_simulator(sim, office, capsys, monkeypatch):
    import io

    seeded = seed_clients(sim, office, ["healthy", "rights_missing"])
    monkeypatch.setattr("sys.stdin", io.StringIO(seeded.token("healthy") + "\n"))
    code, credential = _run(capsys, "credential", "add-token", "--nip", seeded.nips["healthy"])
    assert code == 0 and "secret" not in json.dumps(credential).lower()
    code, outcome = _run(capsys, "link", "connect", "--nip", seeded.nips["healthy"], "--method", "ksef_token")
    assert code == 0 and outcome["status"] == "linked"
    code, verified = _run(capsys, "link", "verify", "--nip", seeded.nips["healthy"])
    assert verified["ok"] is True
    code, report = _run(capsys, "self-test", "--nip", seeded.nips["healthy"])
    assert code == 0 and len(report["steps"]) == 8
    code, doctor = _run(capsys, "rights", "--nip", seeded.nips["healthy"])
    assert code == 0 and "InvoiceRead" in doctor["held"]
    code, synced = _run(capsys, "sync", "--nip", seeded.nips["healthy"])
    assert code == 0 and synced["new_invoices"] > 0
    code, invoices = _run(capsys, "invoice", "list", "--nip", seeded.nips["healthy"])
    assert code == 0 and invoices["total"] == synced["new_invoices"]
    code, problems = _run(capsys, "problems", "list")
    assert code == 0 and problems == []
    code, shown = _run(capsys, "package", "show")
    assert code == 0 and shown["used"] == 0  # the rollup has not run yet


def test_the_simulator_command_becomes_the_simulator(tmp_path):
    """`ksef-console simulator …` runs the simulator program itself (not imported by the console): same options,
    same process, and a SIGTERM stops it with its state saved."""
    port, state = free_port(), tmp_path / "sim-state.json"
    script = Path(sys.executable).with_name("ksef-console")
    process = subprocess.Popen([str(script), "simulator", "--port", str(port), "--state", str(state)])
    try:
        wait_healthy(f"http://127.0.0.1:{port}", 30, lambda: process.poll() is None)
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert '"offices"' in state.read_text(encoding="utf-8")  # saved on the way out


def test_the_readme_says_the_cli_reads_every_variable_make_run_reads():
    """Issue 11 §8: the README did not say that `ksef-console` reads the same `KSEF_CONSOLE_*` variables as `make
    run`; each variable the settings read is in its table."""
    root = Path(__file__).resolve().parents[3]
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "`ksef-console` reads the same `KSEF_CONSOLE_*` variables as `make run`" in " ".join(readme.split())
    settings_source = (root / "core" / "settings.py").read_text(encoding="utf-8")
    read = {f"KSEF_CONSOLE_{name}" for name in re.findall(r'_env\("([A-Z_]+)"', settings_source)}
    assert read and {name for name in read if f"`{name}`" not in readme} == set()
