"""The page registry: which pages exist and who may open them.

A page is a script in the top-level `pages/` folder. Adding one is one line in PAGES. A role that lacks a page's
permission never gets that page registered with `st.navigation`, so it cannot be opened by URL or switch_page; the
page script checks the same permission again at its top (`auth.require_page(__file__)`).

The folder is top-level on purpose: a `pages/` folder beside the entry script (dashboard/app.py) would switch on
Streamlit's legacy multipage router, which serves those pages without asking app.py and so bypasses the login gate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.security import Actor, Permission
from core.types import Role
from dashboard.i18n import t

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"


@dataclass(frozen=True)
class PageSpec:
    file: str  # the script in pages/; its stem is the URL path
    title_key: str
    icon: str
    permission: Permission

    @property
    def path(self) -> Path:
        return PAGES_DIR / self.file


# In menu order; the first page a user may open is where they land after signing in.
PAGES: tuple[PageSpec, ...] = (
    PageSpec("przeglad.py", "nav.przeglad", ":material/dashboard:", Permission.view),
    PageSpec("klienci.py", "nav.klienci", ":material/groups:", Permission.view),
    PageSpec("klient.py", "nav.klient", ":material/domain:", Permission.view),
    PageSpec("polacz.py", "nav.polacz", ":material/link:", Permission.run_operations),
    PageSpec("certyfikaty.py", "nav.certyfikaty", ":material/badge:", Permission.manage_credentials),
    PageSpec("wygaszanie.py", "nav.wygaszanie", ":material/timer_off:", Permission.manage_credentials),
    PageSpec("faktury.py", "nav.faktury", ":material/receipt_long:", Permission.view),
    PageSpec("wsparcie.py", "nav.wsparcie", ":material/support_agent:", Permission.run_operations),
    PageSpec("raporty.py", "nav.raporty", ":material/bar_chart:", Permission.export_reports),
    PageSpec("ustawienia.py", "nav.ustawienia", ":material/settings:", Permission.manage_settings),
    PageSpec("programy.py", "nav.programy", ":material/cable:", Permission.manage_clients),
)
# A client user (role `client`) holds no office permission and gets only its own company's pages (DESIGN.md §7);
# those pages check the binding at their top (`auth.require_client`) and the client-side services check it again.
CLIENT_PAGES: tuple[PageSpec, ...] = (
    PageSpec("moja_firma.py", "nav.moja_firma", ":material/storefront:", Permission.view),
)


def allowed(actor: Actor) -> list[PageSpec]:
    if actor.role == Role.client:
        return list(CLIENT_PAGES)
    return [spec for spec in PAGES if actor.can(spec.permission)]


def spec_for(script: str | Path) -> PageSpec:
    name = Path(script).name
    for spec in (*PAGES, *CLIENT_PAGES):
        if spec.file == name:
            return spec
    raise KeyError(f"{name} is not in dashboard.nav.PAGES")


LOGIN_PATH = "logowanie"


def _requested_path() -> str:
    """The page name in the address the browser asked for ("" for the root or a click in the menu)."""
    ctx = get_script_run_ctx()
    return str(ctx.pages_manager.intended_page_name or "") if ctx is not None else ""


def _message(key: str) -> Callable[[], None]:
    def show() -> None:
        st.info(t(key))

    return show


def _unknown_address(known: set[str]) -> list[st.Page]:
    """A hidden page for an address nobody registered: Streamlit would open its English "Page not found" dialog."""
    asked = _requested_path()
    if not asked or asked in known:
        return []
    return [st.Page(_message("access.not_found"), title=t("access.not_found"), url_path=asked, visibility="hidden")]


def pages_for(actor: Actor) -> list[st.Page]:
    """The role's pages; a page the role may not open answers "no access" at its own address (hidden)."""
    mine = allowed(actor)
    pages = [st.Page(spec.path, title=t(spec.title_key), icon=spec.icon) for spec in mine]
    pages += [
        st.Page(_message("access.denied"), title=t(spec.title_key), url_path=spec.path.stem, visibility="hidden")
        for spec in (*PAGES, *CLIENT_PAGES)
        if spec not in mine
    ]
    landing = mine[0].path if mine else None
    if landing is not None:
        # A bookmarked login page after signing in: go where the user lands anyway.
        pages.append(
            st.Page(lambda: st.switch_page(landing), title=t("login.title"), url_path=LOGIN_PATH, visibility="hidden")
        )
    return pages + _unknown_address({spec.path.stem for spec in (*PAGES, *CLIENT_PAGES)} | {LOGIN_PATH})


def signed_out_pages(login_page: Callable[[], None], extra: Sequence[st.Page] = ()) -> list[st.Page]:
    """Before login every page's address shows the login form; after it, the same address opens that page. `extra`:
    the pages open without a login (the invitation's activation)."""
    title = t("login.title")
    specs = (*PAGES, *CLIENT_PAGES)
    pages = [st.Page(login_page, title=title, icon=":material/login:", url_path=LOGIN_PATH, default=True)]
    pages += [st.Page(login_page, title=title, url_path=spec.path.stem, visibility="hidden") for spec in specs]
    pages += list(extra)
    known = {spec.path.stem for spec in specs} | {LOGIN_PATH} | {page.url_path for page in extra}
    return pages + _unknown_address(known)
