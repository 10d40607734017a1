"""The demo's local mail catcher (`make run`): an SMTP server on 127.0.0.1 that delivers nothing and keeps every
message it is given as one .eml file in the data folder's mailbox, where Ustawienia → Powiadomienia shows them.

`python -m core.demo.mailcatcher --port 8625 --dir data/mailbox`. It needs aiosmtpd (the dev extras, which `make run`
installs). It listens on the loopback address only and accepts no login: it is a demo's inbox, not a mail server.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MAX_MESSAGE_BYTES = 2 * 1024 * 1024


class Mailbox:
    """aiosmtpd handler: each message lands as `<UTC time>-<id>.eml`, written whole before it is visible."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd calls it by this name
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}Z-{uuid.uuid4().hex[:8]}.eml"
        recipients = ", ".join(envelope.rcpt_tos)
        content = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        partial = self.folder / f".{name}.part"
        partial.write_bytes(f"X-Envelope-To: {recipients}\r\n".encode() + content)
        partial.rename(self.folder / name)
        return "250 OK: caught"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mailcatcher", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    from aiosmtpd.controller import Controller

    args.dir.mkdir(parents=True, exist_ok=True)
    controller = Controller(Mailbox(args.dir), hostname=args.host, port=args.port, data_size_limit=MAX_MESSAGE_BYTES)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    controller.start()
    print(f"mail catcher on {args.host}:{args.port}, messages in {args.dir}", flush=True)
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
