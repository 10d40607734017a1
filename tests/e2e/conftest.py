"""End to end: `streamlit run dashboard/server.py` (and a worker) as subprocesses on a temporary SQLite database,
driven in the Debian chromium by Playwright.

Chromium comes from Debian (/usr/bin/chromium), never from `playwright install`. Missing → these tests are skipped,
except with CI=true, where that is a failure (the same rule as for PostgreSQL in tests/conftest.py).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from core.cli.launcher import _wait_until_up
from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("KSEF_CONSOLE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
TIMEOUT_MS = 30_000

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def chromium() -> Path:
    if CHROMIUM.is_file():
        return CHROMIUM
    if IN_CI:
        pytest.fail(f"chromium is required in CI and is missing at {CHROMIUM} (apt-get install -y chromium)")
    pytest.skip(f"chromium missing at {CHROMIUM} (apt-get install -y chromium)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    # The env carries KSEF_CONSOLE_DATA_DIR / DATABASE_URL set by the `office` fixture for this test.
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=os.environ.copy(), stdout=out, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def ui_url(chromium, office, tmp_path) -> Iterator[str]:
    """The UI served against the `office` fixture's database; its log is printed when a test fails."""
    port = free_port()
    log = tmp_path / "streamlit.log"
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "server.py")]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true"]
    command += ["--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    process = _start(command, log)
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/_stcore/health", process)
        yield f"http://127.0.0.1:{port}/"
    finally:
        _stop(process)
        print(log.read_text(errors="replace")[-4000:])


@pytest.fixture
def worker(office, tmp_path) -> Iterator[subprocess.Popen[bytes]]:
    """A job worker on the same database (no scheduler: only the jobs the test queues)."""
    log = tmp_path / "worker.log"
    process = _start([sys.executable, "-m", "core.jobs.worker", "--no-scheduler", "--concurrency", "2"], log)
    try:
        yield process
    finally:
        _stop(process)
        print(log.read_text(errors="replace")[-4000:])


@pytest.fixture
def page(chromium) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="pl-PL")
            page.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)
            yield page
        finally:
            browser.close()


def settled(page: Page) -> None:
    """Wait until Streamlit has finished the current script run."""
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")


def sign_in(page: Page, url: str, username: str, password: str) -> None:
    page.goto(url)
    page.locator(".st-key-login_username input").fill(username)
    page.locator(".st-key-login_password input").fill(password)
    page.get_by_role("button", name="Zaloguj").click()
    expect(page.get_by_role("heading", name="Przegląd")).to_be_visible()  # everyone lands on the overview
    settled(page)


def open_page(page: Page, title: str) -> None:
    """Open a page from the sidebar menu, as a user does (a new URL would start a new, signed-out session)."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    settled(page)
