"""`python -m simulator --seed demo`: the banner gives a person everything needed to authenticate with the SDK."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from ksef_client import KsefClient, KsefClientOptions

from simulator.testing import free_port, wait_healthy
from tests.simulator.flows import filters, token_auth

ROOT = Path(__file__).resolve().parents[2]


def test_demo_banner_token_authenticates_and_state_is_saved(tmp_path):
    port, state = free_port(), tmp_path / "sim-state.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--port", str(port), "--seed", "demo", "--state", str(state)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = [process.stdout.readline() for _ in range(5)]  # type: ignore[union-attr]
        banner = "".join(lines)
        assert f"http://127.0.0.1:{port}" in banner and "nie jest KSeF" in banner
        nip = re.search(r"Klient demo \(healthy\): NIP (\d{10})", banner).group(1)  # type: ignore[union-attr]
        token = re.search(r"Token KSeF klienta demo: (\S+)", banner).group(1)  # type: ignore[union-attr]
        wait_healthy(f"http://127.0.0.1:{port}", 30, lambda: process.poll() is None)
        with KsefClient(KsefClientOptions(base_url=f"http://127.0.0.1:{port}")) as client:
            access = token_auth(client, nip, token).access_token
            assert client.invoices.query_invoice_metadata(filters("Subject2", "Issue", 85), access_token=access)
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert state.exists() and '"offices"' in state.read_text(encoding="utf-8")
