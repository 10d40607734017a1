"""The top of the Klient page: who the client is and how its link stands."""

from __future__ import annotations

import streamlit as st

from core.formatting import format_date, format_datetime
from core.models import ClientPublic
from core.services.linking.detail import LinkDetails
from core.services.linking.rights import permission_name
from dashboard.components.status import expiry_badge, method_label, status_badge
from dashboard.i18n import localised, t


def header(client: ClientPublic, link: LinkDetails | None) -> None:
    st.title(client.name)
    facts = [f"NIP {client.nip}", t("klient.header.environment", environment=client.environment)]
    if client.email:
        facts.append(client.email)
    if client.erp_id:
        facts.append(t("klient.header.erp_id", erp_id=client.erp_id))
    st.caption(" · ".join(facts))
    line = [status_badge(client.link_status)]
    if link is not None:
        line.append(t("klient.header.method", method=method_label(link.auth_method)))
        if link.environment != client.environment:
            line.append(t("klient.header.link_environment", environment=link.environment))
    st.markdown(" ".join(line))
    if client.archived_at is not None:
        st.warning(t("klient.header.archived", date=format_date(client.archived_at)))
    if link is not None:
        reauthorization(link)


def reauthorization(link: LinkDetails) -> None:
    """Signature methods cannot renew themselves: say when a person must sign again, and warn when it is near."""
    if link.reauth_due_at is None:
        return
    due = format_datetime(link.reauth_due_at)
    state = link.reauth_state()
    if state == "overdue":
        st.error(t("klient.reauth.overdue", due=due))
    elif state == "soon":
        st.warning(t("klient.reauth.soon", due=due))
    else:
        st.info(t("klient.reauth.due", due=due))


def link_facts(link: LinkDetails | None) -> None:
    """What the console knows about the link (everyone with `view` may read it; no secret is in it)."""
    if link is None:
        st.info(t("klient.link.none"))
        return
    rows = {
        t("klient.link.method"): method_label(link.auth_method),
        t("klient.link.environment"): link.environment,
        t("klient.link.credential"): link.credential_label or "—",
        t("klient.link.credential_valid_to"): expiry_badge(link.credential_valid_to),
        t("klient.link.send_enabled"): t("common.yes") if link.send_enabled else t("common.no"),
        t("klient.link.last_success"): format_datetime(link.last_success_at) or "—",
        t("klient.link.last_attempt"): format_datetime(link.last_attempt_at) or "—",
        t("klient.link.key_verified"): format_datetime(link.key_verified_at) or "—",
        t("klient.link.permissions"): ", ".join(localised(permission_name(p)) for p in link.permissions) or "—",
    }
    st.markdown("\n".join(f"- **{name}:** {value}" for name, value in rows.items()))
