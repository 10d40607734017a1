"""The English UI has no Polish left: every page, as each role, rendered in English and scanned (issue 11 §4)."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from core.models import ClientCreate
from core.security import ROLE_PERMISSIONS
from core.services.clients import register as clients
from core.types import Role
from dashboard import nav
from tests.dashboard.conftest import APP, open_page, sign_in
from tests.factories import valid_nips

POLISH_LETTERS = re.compile(r"[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]")
POLISH_WORDS = re.compile(
    r"\b(klient|klienci|klienta|faktury|faktura|brak|nie|tak|wszystkie|zapisz|wyloguj|dodaj|pobierz|ustawienia)\b",
    re.IGNORECASE,
)
# The language switch names both languages on purpose; the import file's columns have Polish names (the template's).
ALLOWED = ("Język / Language", "Polski")
ALLOWED_PARTS = ("nazwa (required), e-mail, id w ERP, środowisko",)


def _strings(node) -> list[str]:
    """Every human-readable string an element carries (labels, values, options, help), from its protobuf."""
    found: list[str] = []
    proto = getattr(node, "proto", None)
    if proto is not None and hasattr(proto, "ListFields"):
        found += _proto_strings(proto)
    for child in getattr(node, "children", {}).values() if isinstance(getattr(node, "children", None), dict) else []:
        found += _strings(child)
    return found


def _proto_strings(message) -> list[str]:
    found: list[str] = []
    for field, value in message.ListFields():
        if (
            field.name in {"data", "arrow_data", "spec", "id", "form_id", "icon", "body"}
            and field.type == field.TYPE_BYTES
        ):
            continue
        if field.type == field.TYPE_STRING:
            values = value if isinstance(value, list | tuple) or hasattr(value, "append") else [value]
            found += [str(v) for v in values]
        elif field.type == field.TYPE_MESSAGE:
            items = value if hasattr(value, "append") or hasattr(value, "add") else [value]
            for item in items:
                found += _proto_strings(item)
    return found


def polish_left(at) -> list[str]:
    texts = [text for text in _strings(at._tree) if text and text not in ALLOWED]
    texts = [text for text in texts if not any(part in text for part in ALLOWED_PARTS)]
    return [text for text in texts if POLISH_LETTERS.search(text) or POLISH_WORDS.search(text)]


@pytest.mark.parametrize("role", ["manager", "support", "analyst"])
def test_every_page_in_english_has_no_polish(office, role):
    for index, nip in enumerate(valid_nips(2, seed=5), start=1):
        clients.add_client(actor=office.manager, data=ClientCreate(nip=nip, name=f"Company {index}"))
    actor = getattr(office, role)
    found: dict[str, list[str]] = {}
    for spec in nav.PAGES:
        if spec.permission not in ROLE_PERMISSIONS[Role(role)]:
            continue
        # A fresh session per page: AppTest carries the previous page's widgets into the next run.
        at = AppTest.from_file(APP, default_timeout=30).run()
        at.selectbox(key="lang_switch").select("en").run()
        at = open_page(sign_in(at, actor.username, office.passwords[actor.username]), spec.path.stem)
        left = polish_left(at)
        if left:
            found[spec.path.stem] = left
    assert not found, found


RAW_CODES = re.compile(
    r"\b(None|True|False|AVAILABLE|MAINTENANCE|not_linked|action_required|linked|degraded|active|authorized|"
    r"submitted|ksef_token|ksef_certificate|qualified_signature|trusted_profile|missing_rights|wrong_company_key|"
    r"InvoiceRead, InvoiceWrite)\b"
)


def test_no_polish_page_shows_a_raw_code(office):
    """Codes (link statuses, methods, problem classes, Latarnia states, Python's None) never reach a Polish page."""
    from datetime import UTC, datetime, timedelta

    from tests import seeding

    ids = seeding.add_clients(office, 4, prefix="Company")
    for client_id, status in zip(ids, ["linked", "degraded", "action_required", "error"], strict=True):
        seeding.set_link_status(client_id, status)
    seeding.add_problem(office, ids[2], "missing_rights")
    seeding.add_problem(office, ids[3], "network")
    seeding.add_certificate(office, ids[0], valid_to=datetime.now(UTC) + timedelta(days=10))
    found: dict[str, list[str]] = {}
    for spec in nav.PAGES:
        at = AppTest.from_file(APP, default_timeout=30).run()
        at = open_page(sign_in(at, "kierownik", office.passwords["kierownik"]), spec.path.stem)
        shown = [text for text in _strings(at._tree) if not text.startswith('{"data"')]  # chart specs are data
        raw = [text for text in shown if RAW_CODES.search(text) and text not in ALLOWED]
        if raw:
            found[spec.path.stem] = raw
    assert not found, found
