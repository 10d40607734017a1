"""The reference program's configuration commands, without a server: the password is kept in a file only its owner
reads, changed by `set-password`, and `remove` forgets it; a wrong address is one clear sentence."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from simulator.testing import free_port

CONSOLE = str(Path(sys.executable).parent / "ksef-console")


def _connect(config: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([CONSOLE, "connect", "--config", str(config), *args], input=stdin, capture_output=True,
                          text=True, timeout=120, env=os.environ.copy())  # fmt: skip


def test_configure_set_password_test_and_remove(tmp_path):
    config = tmp_path / "ksef-connect.json"
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    assert _connect(config, "configure", "--url", url, "--company-key", "BR-X;ABC;5265877635", "--program", "ERP",
                    "--password-stdin", stdin="pierwsze-haslo\n").returncode == 0  # fmt: skip
    assert oct(config.stat().st_mode & 0o777) == "0o600"
    assert json.loads(config.read_text())["password"] == "pierwsze-haslo"
    assert _connect(config, "set-password", "--password-stdin", stdin="drugie-haslo\n").returncode == 0
    assert json.loads(config.read_text())["password"] == "drugie-haslo"
    tested = _connect(config, "test")
    assert tested.returncode == 1 and "no connection" in tested.stderr and "Traceback" not in tested.stderr
    assert _connect(config, "remove").returncode == 0 and not config.exists()
    missing = _connect(config, "sync-now")
    assert missing.returncode != 0 and "configure" in missing.stderr


def test_importing_the_intake_entry_point_starts_nothing():
    """The worker imports every module of core before it starts; `core.intake.__main__` must not serve on import."""
    import importlib

    importlib.import_module("core.intake.__main__")
