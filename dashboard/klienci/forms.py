"""Add and edit forms. Their submit buttons work in callbacks: a callback runs before the page is drawn, the
only moment Streamlit lets the form's fields be reset (after an add) or refilled (for the next client)."""

from __future__ import annotations

import streamlit as st

from core.models import ClientCreate, ClientPublic, ClientUpdate
from core.security import Actor
from core.services.clients import register as clients
from core.services.overview import ClientRow
from core.types import KsefEnvironment
from dashboard.auth import session_actor
from dashboard.components.errors import attempt, attempt_in_callback, show_kept_error
from dashboard.components.flash import flash
from dashboard.i18n import relabelled, t

FIELDS = ("nip", "name", "email", "erp_id", "environment", "notes")
ADD = {field: f"klienci_add_{field}" for field in FIELDS}
ADD_ERROR = "klienci_add_error"
EDIT = {field: f"klienci_edit_{field}" for field in FIELDS if field != "nip"}
EDIT_CLIENT = "klienci_edit_client"
EDIT_LOADED = "klienci_edit_loaded"  # the client whose values the edit fields hold
EDIT_ERROR = "klienci_edit_error"
ENVIRONMENTS = ["", *KsefEnvironment]


def _environment_label(environment: str) -> str:
    return environment or t("klienci.form.environment_default")


def _detail_fields(keys: dict[str, str]) -> None:
    st.text_input(t("klienci.form.name"), key=keys["name"], max_chars=300)
    email_col, erp_col, env_col = st.columns(3)
    email_col.text_input(t("klienci.form.email"), key=keys["email"], max_chars=254)
    erp_col.text_input(t("klienci.form.erp_id"), key=keys["erp_id"], max_chars=100)
    env_col.selectbox(
        t("klienci.form.environment"),
        options=ENVIRONMENTS,
        format_func=_environment_label,
        key=relabelled(keys["environment"]),
        placeholder=t("common.choose"),
    )
    st.text_area(t("klienci.form.notes"), key=keys["notes"], max_chars=2000, height=80)


def _values(keys: dict[str, str]) -> dict[str, str]:
    return {field: str(st.session_state.get(key) or "") for field, key in keys.items()}


def _submit_add() -> None:
    actor = session_actor()
    if actor is None:
        return
    data = ClientCreate(**_values(ADD))
    client = attempt_in_callback(lambda: clients.add_client(actor=actor, data=data), error_key=ADD_ERROR)
    if client is not None:
        for key in ADD.values():
            st.session_state[key] = ""
        flash(t("klienci.add.done", name=client.name, nip=client.nip))


def add_form() -> None:
    with st.form("klienci_add_form"):
        st.text_input(t("klienci.form.nip"), key=ADD["nip"], max_chars=20)
        _detail_fields(ADD)
        st.form_submit_button(t("klienci.add.submit"), key="klienci_add_submit", on_click=_submit_add, type="primary")
    show_kept_error(ADD_ERROR)


def _load_edit_fields(client: ClientPublic) -> None:
    for field, key in EDIT.items():
        st.session_state[key] = getattr(client, field)
    st.session_state[EDIT_LOADED] = client.id


def _submit_edit(client_id: int) -> None:
    actor = session_actor()
    if actor is None:
        return
    data = ClientUpdate(**_values(EDIT))
    client = attempt_in_callback(
        lambda: clients.update_client(actor=actor, client_id=client_id, data=data), error_key=EDIT_ERROR
    )
    if client is not None:
        _load_edit_fields(client)  # show the values as the service normalised them
        flash(t("klienci.edit.done", name=client.name))


def pick_client(actor: Actor, shown: list[ClientRow]) -> ClientPublic | None:
    """The client chosen among those on the current table page (a register can hold thousands), read in full."""
    if not shown:
        st.info(t("klienci.edit.none"))
        return None
    by_id = {row.id: row for row in shown}
    chosen = st.selectbox(
        t("klienci.edit.pick"),
        options=list(by_id),
        format_func=lambda client_id: f"{by_id[client_id].name} — NIP {by_id[client_id].nip}",
        key=EDIT_CLIENT,
        placeholder=t("common.choose"),
    )
    if chosen is None:
        return None
    return attempt(lambda: clients.get_client(actor=actor, client_id=int(chosen)))


def edit_form(client: ClientPublic) -> None:
    if st.session_state.get(EDIT_LOADED) != client.id:
        _load_edit_fields(client)  # allowed: the fields are not drawn yet in this run
    with st.form("klienci_edit_form"):
        st.caption(t("klienci.edit.nip_fixed", nip=client.nip))
        _detail_fields(EDIT)
        st.form_submit_button(
            t("klienci.edit.submit"), key="klienci_edit_submit", on_click=_submit_edit, args=(client.id,)
        )
    show_kept_error(EDIT_ERROR)
