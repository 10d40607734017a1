"""No secret reaches a page or Streamlit's session state (issue 10, the secrets figure): markers in every kind of
secret (KSeF tokens, private keys, KSeF sessions, the SMTP password), then every page as each role, its rendered
elements and its session state scanned."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.security import ROLE_PERMISSIONS
from core.types import Role
from dashboard import nav
from tests.core.services.test_master_key import MARK, secrets_of_every_kind
from tests.dashboard.conftest import APP, open_page, sign_in, whole_session_state
from tests.dashboard.test_english_pages import _strings


def _markers(office) -> set[str]:
    sealed = secrets_of_every_kind(office, clients=2)
    markers = {plain.decode() for plain in sealed.plain.values() if MARK.encode() in plain}
    markers |= {plain.split(b"|")[-1].decode() for plain in sealed.plain.values() if plain.count(b"|") == 2}
    markers |= {
        line.decode() for plain in sealed.plain.values() if b"PRIVATE KEY" in plain for line in plain.split(b"\n")[1:3]
    }
    assert len(markers) >= 8  # tokens' secrets, key lines, sessions, the SMTP password
    return markers


@pytest.mark.parametrize("role", ["manager", "support", "analyst"])
def test_no_secret_on_any_page_or_in_session_state(office, role):
    markers = _markers(office)
    actor = getattr(office, role)
    pages, seen = 0, ""
    hits: dict[str, list[str]] = {}
    for spec in nav.PAGES:
        if spec.permission not in ROLE_PERMISSIONS[Role(role)]:
            continue
        at = open_page(sign_in(AppTest.from_file(APP, default_timeout=30).run(), actor.username,
                               office.passwords[actor.username]), spec.path.stem)  # fmt: skip
        assert not at.exception, at.exception
        pages += 1
        shown = "\n".join(_strings(at._tree))
        state = whole_session_state(at)
        seen += shown + state
        found = [marker[:12] for marker in markers if marker in shown or marker in state]
        if found:
            hits[spec.path.stem] = found
    assert pages >= 4 and "Klient 0" in seen and "user_id" in seen  # the scan reads what the pages show and keep
    assert hits == {}
