"""Test support: run the simulator on a free port (thread or subprocess) and drive its admin API.

with SimServer() as sim:
    admin = SimAdmin(sim.url)
    seeded = admin.seed_demo()
    client = KsefClient(KsefClientOptions(base_url=sim.api_url))
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from simulator.app import create_app
from simulator.runtime import Simulator


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def wait_healthy(url: str, timeout: float, alive: Any = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise RuntimeError("simulator exited before becoming healthy")
        try:
            if httpx.get(f"{url}/_sim/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"simulator at {url} did not become healthy in {timeout} s")


class SimServer:
    """The simulator in a background thread of this process (uvicorn on 127.0.0.1 and a free port)."""

    def __init__(
        self,
        sim: Simulator | None = None,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        state_file: Path | None = None,
    ) -> None:
        self.sim = sim or Simulator()
        self.host, self.port = host, port or free_port(host)
        config = uvicorn.Config(
            create_app(self.sim, state_file),
            host=self.host,
            port=self.port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="ksef-simulator", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/v2"

    def start(self) -> SimServer:
        self._thread.start()
        wait_healthy(self.url, 15.0, self._thread.is_alive)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class SimProcess:
    """The simulator as `python -m simulator` in a subprocess (benchmarks: its own interpreter and GIL)."""

    def __init__(self, *args: str, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host, self.port = host, port or free_port(host)
        self.args = ["--host", self.host, "--port", str(self.port), *args]
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/v2"

    def start(self, timeout: float = 60.0) -> SimProcess:
        root = Path(__file__).resolve().parent.parent
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
        self._process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            [sys.executable, "-m", "simulator", *self.args],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_healthy(self.url, timeout, lambda: self._process is not None and self._process.poll() is None)
        return self

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)

    def __enter__(self) -> SimProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class SimAdmin:
    """One method per admin call of the contract (`/_sim/*`); raises httpx.HTTPStatusError on 4xx."""

    def __init__(self, url: str, *, timeout: float = 120.0) -> None:
        self.url = url.rstrip("/").removesuffix("/v2")
        self._http = httpx.Client(base_url=self.url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SimAdmin:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        response = self._http.request(method, path, json=json, params=params)
        response.raise_for_status()
        return response.json()

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/_sim/health")

    def reset(self) -> dict[str, Any]:
        return self._call("POST", "/_sim/reset")

    def state(self) -> dict[str, Any]:
        return self._call("GET", "/_sim/state")

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "/_sim/stats")

    def reset_stats(self) -> dict[str, Any]:
        return self._call("POST", "/_sim/stats/reset")

    def reset_rate_limits(self) -> dict[str, Any]:
        return self._call("POST", "/_sim/rate-limits/reset")

    def record_requests(self, on: bool = True) -> dict[str, Any]:
        return self._call("POST" if on else "DELETE", "/_sim/requests")

    def recorded_requests(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/_sim/requests")["requests"])

    def seed(
        self, office_nip: str, office_name: str, clients: list[dict[str, Any]], invoices_per_client: int | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"officeNip": office_nip, "officeName": office_name, "clients": clients}
        if invoices_per_client is not None:
            body["invoicesPerClient"] = invoices_per_client
        return self._call("POST", "/_sim/seed", body)

    def seed_demo(self) -> dict[str, Any]:
        return self._call("POST", "/_sim/seed/demo")

    def create_context(self, nip: str, name: str | None = None) -> dict[str, Any]:
        return self._call("POST", "/_sim/contexts", {"nip": nip, **({"name": name} if name else {})})

    def create_token(self, nip: str, permissions: list[str], description: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"permissions": permissions}
        if description:
            body["description"] = description
        return self._call("POST", f"/_sim/contexts/{nip}/tokens", body)

    def revoke_all_tokens(self, nip: str) -> dict[str, Any]:
        return self._call("POST", f"/_sim/contexts/{nip}/tokens/revoke-all")

    def create_certificate(
        self,
        *,
        subject_nip: str | None = None,
        subject_pesel: str | None = None,
        common_name: str | None = None,
        certificate_type: str = "Authentication",
        valid_from: str | None = None,
        valid_to: str | None = None,
    ) -> dict[str, Any]:
        body = {
            "subjectNip": subject_nip,
            "subjectPesel": subject_pesel,
            "commonName": common_name,
            "certificateType": certificate_type,
            "validFrom": valid_from,
            "validTo": valid_to,
        }
        return self._call("POST", "/_sim/certificates", {k: v for k, v in body.items() if v is not None})

    def revoke_certificate(self, serial: str) -> dict[str, Any]:
        return self._call("POST", f"/_sim/certificates/{serial}/revoke")

    def generate_invoices(
        self,
        nip: str,
        count: int,
        subject_type: str = "both",
        counterparty_nip: str | None = None,
        spread_days: float | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"count": count, "subjectType": subject_type}
        if counterparty_nip:
            body["counterpartyNip"] = counterparty_nip
        if spread_days is not None:
            body["spreadDays"] = spread_days
        return self._call("POST", f"/_sim/contexts/{nip}/invoices", body)

    def invoices(self, nip: str, subject_type: str | None = None) -> list[str]:
        params = {"subjectType": subject_type} if subject_type else None
        return self._call("GET", f"/_sim/contexts/{nip}/invoices", params=params)["ksefNumbers"]

    def set_hwm_lag(self, nip: str, lag_seconds: float) -> dict[str, Any]:
        return self._call("POST", f"/_sim/contexts/{nip}/hwm", {"lagSeconds": lag_seconds})

    def settings(self, **values: float) -> dict[str, Any]:
        """Keyword names are the contract's camelCase names, e.g. settings(accessTokenSeconds=5)."""
        return self._call("POST", "/_sim/settings", values) if values else self._call("GET", "/_sim/settings")

    def set_faults(self, scope: str = "global", **values: Any) -> dict[str, Any]:
        """e.g. set_faults(latencyMs=50), set_faults("1234567890", errorRate=0.2)."""
        return self._call("POST", "/_sim/faults", {"scope": scope, **values})

    def clear_faults(self, scope: str | None = None) -> dict[str, Any]:
        return self._call("DELETE", "/_sim/faults", params={"scope": scope} if scope else None)

    def set_clock(self, offset_seconds: float) -> dict[str, Any]:
        return self._call("POST", "/_sim/clock", {"offsetSeconds": offset_seconds})

    def rotate_keys(self) -> dict[str, Any]:
        return self._call("POST", "/_sim/keys/rotate")
