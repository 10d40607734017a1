"""The page registry: which pages exist and who may open them.

A page is a script in the top-level `pages/` folder. Adding one is one line in PAGES. A role that lacks a page's
permission never gets that page registered with `st.navigation`, so it cannot be opened by URL or switch_page; the
page script checks the same permission again at its top (`auth.require_page(__file__)`).

The folder is top-level on purpose: a `pages/` folder beside the entry script (dashboard/app.py) would switch on
Streamlit's legacy multipage router, which serves those pages without asking app.py and so bypasses the login gate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

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


def pages_for(actor: Actor) -> list[st.Page]:
    return [st.Page(spec.path, title=t(spec.title_key), icon=spec.icon) for spec in allowed(actor)]
