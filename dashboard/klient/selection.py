"""Which client the Klient page shows, and how other pages open it.

The chosen client's id lives under `klient_selected` (a plain value, not a widget key, so it survives pages that do
not draw the picker). Another page asks for the Klient page with `open_client` in a widget callback and calls
`follow_open_request` in its body: `st.switch_page` belongs in a script run, not in a callback.
"""

from __future__ import annotations

import streamlit as st

from core.errors import NotFound
from core.formatting import format_int
from core.models import ClientPublic
from core.security import Actor
from core.services.clients import register as clients
from dashboard.components.errors import attempt
from dashboard.components.pickers import PICKER_LIMIT, client_label
from dashboard.i18n import t
from dashboard.nav import spec_for

SELECTED = "klient_selected"
SEARCH = "klient_search"
NIP = "nip"  # the query parameter: /klient?nip=…
SHOWN = "klient_shown"  # the client whose choices the page's widgets hold
GO = "klient_go"
PICK = "klient_pick"
KLIENT_PAGE = "klient.py"
# Keys that belong to the page, not to one client: everything else under `klient_` is forgotten on a switch.
KEPT_ACROSS_CLIENTS = frozenset({SELECTED, GO, PICK, SEARCH, SHOWN, "klient_tabs"})


def open_client(client_id: int) -> None:
    """Callback: show this client on the Klient page (the page switches in its next run)."""
    st.session_state[SELECTED] = int(client_id)
    st.session_state[GO] = True


def follow_open_request() -> None:
    if st.session_state.pop(GO, False):
        st.switch_page(spec_for(KLIENT_PAGE).path)


def go_to_client(client_id: int) -> None:
    """In a script run (not a callback): show this client on the Klient page now."""
    st.session_state[SELECTED] = int(client_id)
    st.switch_page(spec_for(KLIENT_PAGE).path)


def selected_id() -> int | None:
    value = st.session_state.get(SELECTED)
    return int(value) if value is not None else None


def _picked(nips: dict[int, str]) -> None:
    chosen = st.session_state.get(PICK)
    st.session_state[SELECTED] = chosen
    if chosen in nips:
        st.query_params[NIP] = nips[chosen]  # the address follows the choice, so it can be bookmarked


def _from_address(actor: Actor, chosen: ClientPublic | None) -> ClientPublic | None:
    """`/klient?nip=…` (a bookmark, a link from a colleague) chooses the client; otherwise the address follows."""
    wanted = str(st.query_params.get(NIP) or "").strip()
    if wanted and (chosen is None or chosen.nip != wanted):
        try:
            chosen = clients.find_client_by_nip(actor=actor, nip=wanted)
        except NotFound:
            st.warning(t("klient.nip_unknown", nip=wanted))
            del st.query_params[NIP]
            return None
        st.session_state[SELECTED] = chosen.id
    if chosen is not None and st.query_params.get(NIP) != chosen.nip:
        st.query_params[NIP] = chosen.nip
    return chosen


def forget_other_client_choices(client_id: int) -> None:
    """Call before drawing a client's sections: nothing typed or chosen for one client is offered for the next."""
    if st.session_state.get(SHOWN) == client_id:
        return
    for key in list(st.session_state.keys()):
        if str(key).startswith("klient_") and key not in KEPT_ACROSS_CLIENTS:
            del st.session_state[key]
    st.session_state[SHOWN] = client_id


def picker(actor: Actor) -> ClientPublic | None:
    """The client picker above the page; returns the chosen client, read again from the register.

    The register can hold thousands: the database gives at most PICKER_LIMIT matching clients (a search box narrows
    them), plus the chosen one, so the browser never receives the whole register."""
    chosen_id = selected_id()
    chosen = attempt(lambda: clients.get_client(actor=actor, client_id=chosen_id)) if chosen_id is not None else None
    chosen = _from_address(actor, chosen)
    search = str(st.session_state.get(SEARCH) or "")
    page = attempt(lambda: clients.list_clients(actor=actor, search=search, limit=PICKER_LIMIT))
    if page is None:
        return None
    by_id = {client.id: client for client in page.items}
    if chosen is not None:
        by_id.setdefault(chosen.id, chosen)
    if not by_id and not search:
        st.info(t("klient.none"))
        return None
    st.session_state[PICK] = chosen.id if chosen is not None else None  # follows a client opened elsewhere
    pick_col, search_col = st.columns([3, 1], vertical_alignment="bottom")
    if page.total > PICKER_LIMIT or search:
        search_col.text_input(t("pickers.search"), key=SEARCH, placeholder=t("pickers.search_placeholder"))
        if page.total > PICKER_LIMIT:
            search_col.caption(t("pickers.more", shown=format_int(PICKER_LIMIT), total=format_int(page.total)))
    pick_col.selectbox(
        t("klient.pick"),
        options=list(by_id),
        format_func=lambda client_id: client_label(by_id[client_id].name, by_id[client_id].nip),
        index=None,
        placeholder=t("klient.pick_placeholder"),
        key=PICK,
        on_change=_picked,
        args=({client_id: client.nip for client_id, client in by_id.items()},),
    )
    return chosen
