"""Texts: Polish and English hold the same keys, every key the code asks for exists, Polish plurals are right."""

from __future__ import annotations

import re
import string

import pytest

from dashboard.i18n import plural_form
from dashboard.texts_en import TEXTS as EN
from dashboard.texts_pl import TEXTS as PL
from tests.app.conftest import ROOT

LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z_]+(?:\.[a-z_]+)+)["']""")
PLURAL_KEY = re.compile(r"""\btn\(\s*["']([a-z_]+(?:\.[a-z_]+)+)["']""")


def ui_sources() -> str:
    files = [*(ROOT / "dashboard").rglob("*.py"), *(ROOT / "pages").glob("*.py")]
    return "\n".join(path.read_text(encoding="utf-8") for path in files)


def test_english_and_polish_have_the_same_keys():
    assert set(PL) == set(EN)


def test_the_same_placeholders_in_both_languages():
    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    assert {key: fields(text) for key, text in PL.items()} == {key: fields(text) for key, text in EN.items()}


def test_every_key_used_in_the_code_exists():
    source = ui_sources()
    used = set(LITERAL_KEY.findall(source))
    used |= {f"{key}.{form}" for key in PLURAL_KEY.findall(source) for form in ("one", "few", "many")}
    assert used, "the pattern finds the keys"
    assert sorted(used - set(PL)) == []


@pytest.mark.parametrize(
    ("count", "form"),
    [(1, "one"), (2, "few"), (4, "few"), (5, "many"), (12, "many"), (14, "many"), (22, "few"), (25, "many")],
)
def test_polish_plural_forms(count, form):
    assert plural_form(count, "pl") == form


def test_english_has_one_and_many():
    assert [plural_form(n, "en") for n in (1, 2, 5)] == ["one", "many", "many"]


def test_every_link_status_role_and_page_has_a_text():
    from core.types import LinkStatus, Role
    from dashboard.nav import PAGES

    needed = {f"link_status.{s}" for s in LinkStatus} | {f"role.{r}" for r in Role} | {p.title_key for p in PAGES}
    assert sorted(needed - set(PL)) == []
