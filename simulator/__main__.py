"""`python -m simulator --port 8600 [--seed demo] [--state FILE] [--host 127.0.0.1]` (also `ksef-console simulator`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import uvicorn

from simulator.app import create_app
from simulator.demo import healthy_client, seed_demo
from simulator.persistence import load
from simulator.runtime import Simulator


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="simulator", description="Symulator KSeF 2.0 (nie jest KSeF).")
    parser.add_argument("--host", default="127.0.0.1", help="adres nasłuchu (domyślnie 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8600, help="port (domyślnie 8600)")
    parser.add_argument("--seed", choices=["demo"], help="zasiej biuro demonstracyjne z data/demo/office.json")
    parser.add_argument("--state", type=Path, help="plik stanu: wczytany przy starcie, zapisywany okresowo i na końcu")
    parser.add_argument("--log-level", default="warning", help="poziom logów uvicorn (domyślnie warning)")
    return parser


def banner(url: str, seeded: dict | None) -> str:
    lines = [
        f"Symulator KSeF działa: {url}  (API: {url}/v2, admin: {url}/_sim/health)",
        "To nie jest KSeF: dane i poświadczenia służą wyłącznie do nauki i testów.",
    ]
    if seeded is not None:
        lines.append(f"Biuro demo: NIP {seeded['office']['nip']} ({seeded['office']['name']})")
        client = healthy_client(seeded)
        if client is not None:
            lines.append(f"Klient demo (healthy): NIP {client['nip']} ({client['name']})")
            lines.append(f"Token KSeF klienta demo: {client['ksefToken']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    state = load(args.state) if args.state else None
    sim = Simulator(state)
    seeded = seed_demo(sim) if args.seed == "demo" else None
    url = f"http://{args.host}:{args.port}"
    print(banner(url, seeded), flush=True)
    app = create_app(sim, state_file=args.state)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, timeout_graceful_shutdown=5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
