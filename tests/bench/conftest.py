"""The page benchmarks drive chromium with the end-to-end fixtures (tests/e2e is not collected by `make bench`)."""

from tests.e2e.conftest import chromium, page, ui_url  # noqa: F401  (fixtures)
