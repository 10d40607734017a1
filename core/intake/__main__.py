"""`python -m core.intake [--port N]`: the same as `ksef-console intake serve` (how `make run` starts it).

Guarded: the worker imports every module of `core` before it starts (core.jobs.worker.preload)."""

import sys

from core.cli import main

if __name__ == "__main__":
    sys.exit(main(["intake", "serve", *sys.argv[1:]]))
