"""Files the console writes hold secrets or client data (the database, the master key, exports, support bundles):
they are created readable by the console's own user only (0600), in a data folder only it can enter (0700)."""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) and make it 0700; an existing folder is narrowed to 0700 too."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    if path.stat().st_mode & 0o077:
        os.chmod(path, PRIVATE_DIR)
    return path


def private_file(path: Path | str) -> None:
    """Make sure `path` exists as a 0600 file before anything else writes into it (SQLite, xlsxwriter): they keep
    the mode of a file that exists, so its content is never readable by others, not even for a moment."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE)
    os.close(fd)
    if os.stat(path).st_mode & 0o077:
        os.chmod(path, PRIVATE_FILE)


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` as a 0600 file (replacing what was there)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    if os.stat(path).st_mode & 0o077:
        os.chmod(path, PRIVATE_FILE)
