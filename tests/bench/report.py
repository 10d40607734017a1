"""What every benchmark shares: the machine-readable line, and the transport floor (the same HTTP requests replayed
by a bare async httpx client at the same concurrency against the same simulator).

The replay runs in a process of its own (`floor`), as the console's workers do: in the benchmark's process it would
share one interpreter lock with the simulator (which runs in a thread there) and measure its own CPU, not the
transport's."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import httpx

OPERATORS = {"<=": lambda v, g: v <= g, ">=": lambda v, g: v >= g, "==": lambda v, g: v == g, "<": lambda v, g: v < g}


def bench(name: str, value: float, unit: str, op: str, goal: float, sentence: str = "") -> bool:
    """Print `bench: <name> <value> <unit> goal <op> <goal> met|missed` (one line a script can read) beside a human
    sentence; returns whether the goal was met. Never asserts: times do not belong in `make test`."""
    met = OPERATORS[op](value, goal)
    if sentence:
        print(sentence, flush=True)
    shown = f"{value:.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    print(f"bench: {name} {shown} {unit} goal {op} {goal:g} {'met' if met else 'missed'}", flush=True)
    return met


def by_client(recorded: list[dict[str, Any]]) -> tuple[list[list[dict[str, Any]]], int]:
    """Recorded requests grouped into each client's own sequence (by its bearer token), in the order they came;
    and how many had no token (authentication: not replayable, left out of the floor)."""
    sequences: dict[str, list[dict[str, Any]]] = defaultdict(list)
    skipped = 0
    for request in recorded:
        token = request["headers"].get("authorization")
        if token:
            sequences[token].append(request)
        else:
            skipped += 1
    return list(sequences.values()), skipped


async def _replay(base_url: str, sequences: list[list[dict[str, Any]]], concurrency: int) -> tuple[float, int]:
    gate = asyncio.Semaphore(concurrency)
    statuses: list[int] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=120, trust_env=False) as client:

        async def run(sequence: list[dict[str, Any]]) -> None:
            async with gate:  # one client's requests one after another, as one worker thread sends them
                for request in sequence:
                    for attempt in range(3):  # a connection the loaded server dropped: send it again
                        try:
                            response = await client.request(
                                request["method"], request["path"], headers=request["headers"],
                                content=base64.b64decode(request["body"]),
                            )  # fmt: skip
                            await response.aread()
                            break
                        except httpx.TransportError:
                            if attempt == 2:
                                raise
                    statuses.append(response.status_code)

        started = time.perf_counter()
        await asyncio.gather(*(run(sequence) for sequence in sequences))
        wall = time.perf_counter() - started
    return wall, sum(1 for status in statuses if status == 429)


def replay(base_url: str, sequences: list[list[dict[str, Any]]], concurrency: int) -> tuple[float, int]:
    """Wall time of the bare replay, and its 429 count."""
    return asyncio.run(_replay(base_url, sequences, concurrency))


def replay_threads(base_url: str, sequences: list[list[dict[str, Any]]], concurrency: int) -> tuple[float, int]:
    """The same replay by a bare synchronous httpx client in `concurrency` threads (as the workers send), for
    comparison: on a loaded machine either kind of bare client may be the faster one."""
    from concurrent.futures import ThreadPoolExecutor

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    statuses: list[int] = []
    with httpx.Client(base_url=base_url, limits=limits, timeout=120, trust_env=False) as client:

        def run(sequence: list[dict[str, Any]]) -> None:
            for request in sequence:
                for attempt in range(3):  # a connection the loaded server dropped: send it again
                    try:
                        response = client.request(
                            request["method"], request["path"], headers=request["headers"],
                            content=base64.b64decode(request["body"]),
                        )  # fmt: skip
                        break
                    except httpx.TransportError:
                        if attempt == 2:
                            raise
                statuses.append(response.status_code)

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(run, sequences))
        wall = time.perf_counter() - started
    return wall, sum(1 for status in statuses if status == 429)


def floor(
    base_url: str, sequences: list[list[dict[str, Any]]], concurrency: int, before_each: Callable[[], None]
) -> dict[str, tuple[float, int]]:
    """Both bare replays, each in a fresh process of its own after `before_each()` (clean rate-limit windows):
    {"async": (wall, 429s), "threads": (wall, 429s)}."""
    results: dict[str, tuple[float, int]] = {}
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        json.dump({"url": base_url, "sequences": sequences, "concurrency": concurrency}, file)
        file.flush()
        for kind in ("async", "threads"):
            before_each()
            command = [sys.executable, "-m", "tests.bench.report", kind, file.name]
            out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            wall, refused = json.loads(out.strip().splitlines()[-1])
            results[kind] = (float(wall), int(refused))
    return results


def _main(kind: str, path: str) -> None:
    with open(path) as file:
        job = json.load(file)
    run = replay if kind == "async" else replay_threads
    print(json.dumps(run(job["url"], job["sequences"], job["concurrency"])))


if __name__ == "__main__":
    _main(sys.argv[1], sys.argv[2])
