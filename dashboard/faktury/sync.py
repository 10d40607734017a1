"""The manager's "Synchronizuj wszystkich": one sync job per working link, each when its 15-minute rule allows."""

from __future__ import annotations

import streamlit as st

from core.security import Actor, Permission
from core.services.sync import request as sync_request
from dashboard.auth import session_actor
from dashboard.components.errors import attempt_in_callback, show_kept_error
from dashboard.components.flash import flash
from dashboard.i18n import t, tn

SYNC_ERROR = "faktury_sync_all_error"


def _sync_all() -> None:
    actor = session_actor()
    if actor is None:
        return
    count = attempt_in_callback(lambda: sync_request.request_sync_all(actor=actor), error_key=SYNC_ERROR)
    if count is not None:
        flash(tn("faktury.sync_all.done", count) if count else t("faktury.sync_all.none"))


def sync_all_button(actor: Actor) -> None:
    if not actor.can(Permission.run_fleet_operations):
        return
    st.button(
        t("faktury.sync_all.button"), key="faktury_sync_all", on_click=_sync_all, icon=":material/sync:",
        help=t("faktury.sync_all.help"),
    )  # fmt: skip
    show_kept_error(SYNC_ERROR)
