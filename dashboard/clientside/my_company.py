"""The body of the Moja firma page (pages/moja_firma.py)."""

from __future__ import annotations

import streamlit as st

from core.formatting import format_date, format_datetime
from core.security import Actor
from core.services.clientside import access, my_company
from dashboard.clientside.signature import signature_section
from dashboard.components.errors import attempt
from dashboard.components.flash import flash, show_flashes
from dashboard.components.status import status_badge
from dashboard.components.tables import show_table
from dashboard.i18n import t

UPLOAD = "moja_firma_upload"
UPO_PICK = "moja_firma_upo"
HEADERS = {
    "direction": "moja_firma.col.direction",
    "invoice_number": "moja_firma.col.number",
    "issue_date": "moja_firma.col.issue_date",
    "party": "moja_firma.col.party",
    "status": "moja_firma.col.status",
    "ksef_number": "moja_firma.col.ksef_number",
    "upo": "moja_firma.col.upo",
}


def my_company_page(actor: Actor) -> None:
    view = attempt(lambda: my_company.overview(actor=actor))
    if view is None:
        st.stop()
    assert view is not None
    st.title(t("moja_firma.title"))
    st.markdown(f"**{view.name}** · NIP {view.nip} · {status_badge(view.link_status)}")
    show_flashes()
    columns = st.columns(3)
    columns[0].metric(t("moja_firma.received"), view.received)
    columns[1].metric(t("moja_firma.sent"), view.sent)
    columns[2].metric(t("moja_firma.programs"), len(view.programs))
    allowed = [t(f"client_access.{name}") for name in access.ALLOWANCES if view.access.allows(name)]
    st.caption(t("moja_firma.allowed", what=", ".join(allowed)) if allowed else t("moja_firma.nothing_allowed"))
    for program in view.programs:
        st.caption(t("moja_firma.program", name=program.name, when=format_datetime(program.last_contact_at) or "—"))
    if view.access.authenticate_link:
        signature_section(actor, view.environment)
    if view.access.send_invoices:
        _send(actor)
    if view.access.view_documents:
        _documents(actor)


def _send(actor: Actor) -> None:
    st.subheader(t("moja_firma.send.heading"))
    files = st.file_uploader(t("moja_firma.send.files"), type=["xml"], accept_multiple_files=True, key=UPLOAD)
    if st.button(t("moja_firma.send.submit"), key="moja_firma_send", disabled=not files):
        batch = attempt(lambda: my_company.send(actor=actor, files=[(f.name, f.getvalue()) for f in files or []]))
        if batch is not None:
            for name, problems in batch.rejected.items():
                st.error(f"{name}: " + " ".join(problems))
            if batch.invoice_ids:
                flash(t("moja_firma.send.queued", count=len(batch.invoice_ids)))
                st.rerun()


def _documents(actor: Actor) -> None:
    st.subheader(t("moja_firma.documents"))
    page = attempt(lambda: my_company.documents(actor=actor))
    if page is None:
        return
    rows = [
        {
            "direction": t(f"faktury.direction.{row.subject_type}"),
            "invoice_number": row.invoice_number,
            "issue_date": format_date(row.issue_date),
            "party": row.buyer_name if row.subject_type == "Subject1" else row.seller_name,
            "status": t(f"faktury.status.{row.status}"),
            "ksef_number": row.ksef_number or "",
            "upo": t("moja_firma.yes") if row.has_upo else "",
        }
        for row in page.items
    ]
    if not rows:
        st.info(t("moja_firma.no_documents"))
        return
    show_table(rows, HEADERS, key="moja_firma_table")
    with_upo = {row.id: f"{row.invoice_number} · {row.ksef_number}" for row in page.items if row.has_upo}
    if with_upo:
        chosen = st.selectbox(t("moja_firma.upo_pick"), options=list(with_upo), format_func=with_upo.__getitem__,
                              key=UPO_PICK)  # fmt: skip
        if chosen is not None:
            found = attempt(lambda: my_company.upo(actor=actor, invoice_id=int(chosen)))
            if found is not None:
                name, data = found
                st.download_button(t("moja_firma.upo_download"), data=data, file_name=name, mime="application/xml",
                                   key="moja_firma_upo_download")  # fmt: skip
