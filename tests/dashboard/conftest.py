"""AppTest helpers: the real entry script against the test database (AppTest runs in this process)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboard" / "app.py"
KLIENCI = ROOT / "pages" / "klienci.py"
PRZEGLAD = ROOT / "pages" / "przeglad.py"
FAKTURY = ROOT / "pages" / "faktury.py"
RAPORTY = ROOT / "pages" / "raporty.py"
USTAWIENIA = ROOT / "pages" / "ustawienia.py"


@pytest.fixture
def app(office) -> AppTest:
    """The app before anyone signs in, on the `office` fixture's database."""
    return AppTest.from_file(APP, default_timeout=30).run()


def sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button(key="login_submit").click()
    return at.run()


@pytest.fixture
def signed_in(app, office):
    """sign_as("manager" | "support" | "analyst") → the app signed in as that user of `office`."""

    def sign_as(role: str) -> AppTest:
        actor = getattr(office, role)
        at = sign_in(app, actor.username, office.passwords[actor.username])
        assert not at.exception, at.exception
        assert at.session_state["user_id"] == actor.user_id
        return at

    return sign_as


def open_page(at: AppTest, page: Path | str) -> AppTest:
    """Go to a page (a path, or a page name such as "klient") through the navigation, as a click in the menu does
    (signed-in users land on Przegląd); a page the role was not given raises ValueError."""
    at.switch_page(page_path(page) if isinstance(page, str) and "/" not in page else str(page)).run()
    assert not at.exception, at.exception
    return at


def registered_pages(at: AppTest) -> set[str]:
    """Script paths (or titles, for callable pages) registered with st.navigation in the last run.

    AppTest has no public accessor for the navigation registry; switch_page() reads the same private map.
    """
    return {
        str(Path(info["script_path"]).resolve()) if info.get("script_path") else str(info["page_name"])
        for info in at._registered_pages.values()
    }


def values(elements) -> list[str]:
    return [element.value for element in elements]


def table(at: AppTest):
    """The Klienci table as a DataFrame with its (translated) headers."""
    frames = at.dataframe
    assert len(frames) == 1, "expected exactly one table"
    return frames[0].value


def whole_session_state(at: AppTest) -> str:
    """Every value session state holds, keyless widgets and Streamlit's own keys included, as one string.

    The public mapping hides keyless widgets; a secret must not hide there either, so this reads the inner store.
    """
    inner = at.session_state._state._state
    seen = {}
    for key in inner._keys():
        try:
            seen[key] = inner[key]
        except KeyError:
            continue
    return repr(seen)


def figures(at: AppTest) -> list[dict[str, Any]]:
    """The plotly figures the last run drew, as their JSON (AppTest has no plotly element of its own)."""
    return [json.loads(node.proto.spec) for node in at.get("plotly_chart")]


def figure_titles(at: AppTest) -> list[str]:
    return [figure["layout"]["title"]["text"] for figure in figures(at)]


def page_path(name: str) -> str:
    return str(ROOT / "pages" / f"{name}.py")


def open_client(at: AppTest, client_id: int, tab: str | None = None) -> AppTest:
    """The Klient page for one client, on the tab with this label (the first tab by default)."""
    at.session_state["klient_selected"] = client_id
    if tab is not None:
        at.session_state["klient_tabs"] = tab
    return open_page(at, "klient")


def buttons(at: AppTest) -> set[str]:
    return {button.key for button in at.button}


def frame_with(at: AppTest, column: str):
    """The one table on the page that has this column (read-only tables carry no key)."""
    found = [element.value for element in at.dataframe if column in element.value.columns]
    assert len(found) == 1, f"{len(found)} tables have the column {column!r}"
    return found[0]
