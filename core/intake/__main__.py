"""`python -m core.intake [--port N]`: the same as `ksef-console intake serve` (how `make run` starts it)."""

import sys

from core.cli import main

sys.exit(main(["intake", "serve", *sys.argv[1:]]))
