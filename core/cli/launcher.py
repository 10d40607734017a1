"""`ksef-console run [--demo]` (what `make run` calls): start the pieces, print where they are, stop them on Ctrl+C."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from core import db
from core.files import private_dir
from core.logs import configure_logging
from core.settings import get_settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
UI_ENTRY = PROJECT_ROOT / "dashboard" / "server.py"  # Streamlit's app (app.py) plus the login cookie routes


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with code {process.returncode} before it started")
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def _start(name: str, command: list[str], children: dict[str, subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=os.environ.copy())  # noqa: S603 - our own commands
    children[name] = process
    return process


def _stop_all(children: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in children.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in children.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()


def _start_mail_catcher(children: dict[str, subprocess.Popen[bytes]]) -> None:
    """The demo's local SMTP server: the office's e-mails land in the data folder and show in Ustawienia."""
    settings = get_settings()
    if importlib.util.find_spec("aiosmtpd") is None:
        raise RuntimeError("the demo's mail catcher needs aiosmtpd: pip install -e '.[dev]' (make run does it)")
    catcher = _start(
        "mail catcher",
        [
            sys.executable, "-m", "core.demo.mailcatcher",
            "--port", str(settings.mail_port),
            "--dir", str(settings.mailbox_dir),
        ],
        children,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if catcher.poll() is not None:
            raise RuntimeError(f"the mail catcher exited with code {catcher.returncode} (port {settings.mail_port})")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", settings.mail_port), timeout=1):
            return
        time.sleep(0.2)
    raise RuntimeError(f"the mail catcher did not listen on port {settings.mail_port} within 30 s")


def _start_demo_program(children: dict[str, subprocess.Popen[bytes]]) -> None:
    """The demo client's reference program (`ksef-console connect … run`), when the demo seed prepared it."""
    from core.demo.clientside import program_config

    if program_config().exists():
        command = [sys.executable, "-m", "clientprogram", "--config", str(program_config()), "run", "--every", "30"]
        _start("client program", command, children)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def run(*, demo: bool) -> int:
    configure_logging()
    settings = get_settings()
    private_dir(settings.data_dir)
    # Children must find the same data folder whatever their working directory.
    os.environ["KSEF_CONSOLE_DATA_DIR"] = str(settings.data_dir)
    db.upgrade()
    children: dict[str, subprocess.Popen[bytes]] = {}
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if demo:
            simulator = _start(
                "simulator",
                [
                    sys.executable, "-m", "simulator",
                    "--port", str(settings.sim_port),
                    "--seed", "demo",
                    "--state", str(settings.data_dir / "simulator-state.json"),
                ],
                children,
            )  # fmt: skip
            _wait_until_up(f"{settings.sim_url}/_sim/health", simulator)
            _start_mail_catcher(children)
            from core.demo.office import seed_demo

            print("Preparing the demo office (on the first start this receives its invoices: a minute or two)…")
            seed_demo()
        _start("worker", [sys.executable, "-m", "core.jobs.worker"], children)
        intake = _start("intake", [sys.executable, "-m", "core.intake"], children)
        _wait_until_up(f"http://{settings.ui_address}:{settings.intake_port}/openapi.json", intake)
        if demo:
            _start_demo_program(children)
        ui = _start(
            "ui",
            [
                sys.executable, "-m", "streamlit", "run", str(UI_ENTRY),
                "--server.port", str(settings.ui_port),
                "--server.address", settings.ui_address,
                "--server.headless", "true",
            ],
            children,
        )  # fmt: skip
        _wait_until_up(f"http://{settings.ui_address}:{settings.ui_port}/_stcore/health", ui)
        _announce(demo)
        while True:
            for name, process in children.items():
                if process.poll() is not None:
                    print(f"{name} stopped (exit code {process.returncode}); stopping the rest.", file=sys.stderr)
                    return 1
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nStopping…")
        return 0
    finally:
        _stop_all(children)


def _announce(demo: bool) -> None:
    settings = get_settings()
    lines = [
        "",
        "KSeF Office Console is running.",
        f"  Open:       http://{settings.ui_address}:{settings.ui_port}",
        f"  Intake API: http://{settings.ui_address}:{settings.intake_port}/docs  (for the clients' own programs)",
    ]
    if demo:
        from core.demo.office import DEMO_PASSWORD, DEMO_USERS

        lines.append(f"  Simulator:  {settings.sim_url}  (a local KSeF double, not KSeF)")
        lines.append(f"  Mail:       127.0.0.1:{settings.mail_port}, kept in {settings.mailbox_dir}")
        lines.append("              (shown in Ustawienia → Powiadomienia; nothing leaves this machine)")
        lines.append("  Demo logins (password: " + DEMO_PASSWORD + "):")
        lines.extend(f"    {name:<10} {role}" for name, role, _ in DEMO_USERS)
        lines.append("    klient     client (one company: Moja firma)")
        lines.append(
            f"  Client program: {settings.data_dir / 'demo-program'} (outbox → KSeF numbers and UPOs, inbox ← "
            "purchases)"
        )
    lines.append("  Press Ctrl+C to stop everything started here.")
    print("\n".join(lines), flush=True)
