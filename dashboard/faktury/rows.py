"""One invoice as the tables show it, and its XML and UPO download buttons."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.errors import ServiceError
from core.formatting import format_date, format_money
from core.security import Actor
from core.services import invoices
from core.services.invoices import InvoiceRow
from core.types import InvoiceStatus, SubjectType
from dashboard.i18n import language, t

XML_MIME = "application/xml"


def amount(row: InvoiceRow) -> str:
    if row.gross_amount is None:
        return ""
    return format_money(row.gross_amount, "zł" if row.currency in ("", "PLN") else row.currency)


def ksef_number(row: InvoiceRow) -> str:
    """The KSeF number; for a duplicate, the number KSeF gave the original."""
    return row.ksef_number or row.original_ksef_number or ""


def notes(row: InvoiceRow) -> str:
    if row.status == InvoiceStatus.duplicate:
        return t("faktury.note.duplicate", number=row.original_ksef_number or "?")
    if row.status in (InvoiceStatus.rejected, InvoiceStatus.failed):
        details = "; ".join(d for d in row.error_details if d)
        if row.error_code:
            return t("faktury.note.rejected", code=row.error_code, details=details)
        return details
    return ""


def counterparty(row: InvoiceRow) -> str:
    """For a sale the buyer, for a purchase the seller."""
    if row.subject_type == SubjectType.Subject1:
        return f"{row.buyer_name} ({row.buyer_identifier})" if row.buyer_identifier else row.buyer_name
    return f"{row.seller_name} (NIP {row.seller_nip})" if row.seller_nip else row.seller_name


def table_row(row: InvoiceRow) -> dict[str, Any]:
    return {
        "client": f"{row.client_name} ({row.client_nip})",
        "direction": t(f"faktury.direction.{row.subject_type}"),
        "number": row.invoice_number,
        "issue_date": format_date(row.issue_date),
        "counterparty": counterparty(row),
        "gross": amount(row),
        "status": t(f"faktury.status.{row.status}"),
        "ksef_number": ksef_number(row),
        "upo": t("faktury.upo.yes") if row.has_upo else "",
        "file_name": row.file_name,
        "notes": notes(row),
    }


def pick_label(row: InvoiceRow) -> str:
    number = row.invoice_number or row.file_name or f"#{row.id}"
    return f"{number} — {row.client_name} — {ksef_number(row) or t(f'faktury.status.{row.status}')}"


def download_buttons(actor: Actor, row: InvoiceRow, *, key_prefix: str) -> None:
    """XML and UPO of one invoice, read from the local copy (never from KSeF)."""
    xml_col, upo_col = st.columns(2)
    try:
        xml_name, xml = invoices.invoice_xml(actor=actor, invoice_id=row.id)
    except ServiceError as error:
        xml_col.caption(" ".join(error.lines(language())))
    else:
        xml_col.download_button(
            t("faktury.download.xml"), data=xml, file_name=xml_name, mime=XML_MIME, key=f"{key_prefix}_xml",
            on_click="ignore", icon=":material/download:",
        )  # fmt: skip
    if not row.has_upo:
        upo_col.download_button(
            t("faktury.download.upo"), data=b"", key=f"{key_prefix}_upo", disabled=True,
            help=t("faktury.download.no_upo"), on_click="ignore", icon=":material/download:",
        )  # fmt: skip
        return
    try:
        upo_name, upo = invoices.invoice_upo(actor=actor, invoice_id=row.id)
    except ServiceError as error:
        upo_col.caption(" ".join(error.lines(language())))
        return
    upo_col.download_button(
        t("faktury.download.upo"), data=upo, file_name=upo_name, mime=XML_MIME, key=f"{key_prefix}_upo",
        on_click="ignore", icon=":material/download:",
    )  # fmt: skip
