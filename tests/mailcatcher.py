"""The demo's mail catcher as a process for the tests: `catcher` is its port; its inbox is in the data folder."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from core.settings import get_settings, reload_settings
from simulator.testing import free_port


@pytest.fixture
def catcher(office, monkeypatch):
    port = free_port()
    monkeypatch.setenv("KSEF_CONSOLE_MAIL_PORT", str(port))
    reload_settings()
    folder = get_settings().mailbox_dir
    process = subprocess.Popen(
        [sys.executable, "-m", "core.demo.mailcatcher", "--port", str(port), "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and process.poll() is None, "the mail catcher did not start"
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=15)
