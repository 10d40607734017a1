"""An invoice as a person reads it (issue 11 §9): seller, buyer, lines, VAT summary, totals, payment, the KSeF
verification QR code and link, and a PDF, on the Faktury page (the invoice picked there) and on the Klient page.

Everything in the file is data from outside: it is shown in tables or with Markdown's special characters escaped,
never as Markdown of its own.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core.formatting import format_date, format_int
from core.security import Actor
from core.services import invoice_view, invoices
from core.services.invoice_view import InvoiceView
from core.services.invoice_view.document import InvoiceDocument, Party, money, quantity
from dashboard.components.errors import attempt
from dashboard.components.plain import plain
from dashboard.components.tables import show_table
from dashboard.i18n import language, t

CLIENT_PICK = "klient_invoice_pick"
CLIENT_SHOWN = 50
PDF_MIME = "application/pdf"
LINE_HEADERS = {
    "number": "invoice_view.col.no",
    "name": "invoice_view.col.name",
    "unit": "invoice_view.col.unit",
    "quantity": "invoice_view.col.quantity",
    "price": "invoice_view.col.net_price",
    "value": "invoice_view.col.net_value",
    "rate": "invoice_view.col.rate",
}
VAT_HEADERS = {"rate": "invoice_view.col.rate", "net": "invoice_view.col.net", "vat": "invoice_view.col.vat"}


def _party(title: str, party: Party) -> str:
    lines = [f"**{title}**", *(plain(line) for line in (party.name, party.identifier, *party.address, *party.contact))]
    return "  \n".join(line for line in lines if line)


def _facts(view: InvoiceView) -> list[str]:
    document = view.document
    kind_key = f"invoice_view.kind.{document.kind}"
    facts = [t(kind_key) if t(kind_key) != kind_key else document.kind]
    facts.append(t("invoice_view.ksef_number", number=view.ksef_number) if view.ksef_number else t(
        "invoice_view.no_ksef_number"))  # fmt: skip
    facts.append(
        t("invoice_view.issued", date=format_date(document.issue_date), place=document.issue_place).rstrip(", ")
    )
    if document.sale_date:
        facts.append(t("invoice_view.sale_date", date=format_date(document.sale_date)))
    if document.period:
        facts.append(
            t("invoice_view.period", first=format_date(document.period[0]), last=format_date(document.period[1]))
        )
    return [fact for fact in facts if fact]


def _lines(document: InvoiceDocument, key_prefix: str) -> None:
    if not document.lines:
        return
    headers = dict(LINE_HEADERS)
    if document.gross_priced:
        headers |= {"price": "invoice_view.col.gross_price", "value": "invoice_view.col.gross_value"}
    rows = [
        {
            "number": line.number, "name": line.name, "unit": line.unit, "quantity": quantity(line.quantity),
            "price": money(line.unit_price, document.currency), "value": money(line.value, document.currency),
            "rate": f"{line.rate} %" if line.rate.isdigit() else line.rate,
        }
        for line in document.lines
    ]  # fmt: skip
    st.markdown(f"**{t('faktury.view.lines')}**")
    show_table(rows, headers, key=f"{key_prefix}_lines")


def _totals(document: InvoiceDocument, key_prefix: str) -> None:
    currency = document.currency
    if document.vat_rows:
        rows = [
            {"rate": t(f"invoice_view.vat.{row.field}"), "net": money(row.net, currency),
             "vat": money(row.vat, currency) if row.vat is not None else "—"}
            for row in document.vat_rows
        ]  # fmt: skip
        st.markdown(f"**{t('faktury.view.vat')}**")
        show_table(rows, VAT_HEADERS, key=f"{key_prefix}_vat")
    totals = [
        f"{t('invoice_view.total_net')}: {money(document.total_net, currency)}",
        f"{t('invoice_view.total_vat')}: {money(document.total_vat, currency)}",
        f"**{t('invoice_view.total_gross')}: {money(document.total_gross, currency)}**",
    ]
    if document.to_pay is not None:
        totals.append(f"**{t('invoice_view.to_pay')}: {money(document.to_pay, currency)}**")
    st.markdown("  \n".join(totals))


def _payment(document: InvoiceDocument) -> None:
    lines = []
    if document.payment_due:
        lines.append(t("invoice_view.payment_due", dates=", ".join(format_date(d) for d in document.payment_due)))
    if document.payment_form:
        lines.append(t("invoice_view.payment_form", form=t(f"invoice_view.form.{document.payment_form}")))
    lines.extend(t("invoice_view.bank_account", account=plain(account)) for account in document.bank_accounts)
    lines.extend(f"{plain(key)}: {plain(value)}" for key, value in document.notes if key or value)
    lines.extend(plain(line) for line in document.footer)
    if lines:
        st.markdown(f"**{t('faktury.view.payment')}**  \n" + "  \n".join(lines))


def _pdf(actor: Actor, invoice_id: int, lang: str) -> Callable[[], bytes]:
    """Built when the button is clicked, not on every rerun of the page."""

    def build() -> bytes:
        return invoice_view.invoice_pdf(actor=actor, invoice_id=invoice_id, lang=lang)[1]

    return build


def invoice_section(actor: Actor, invoice_id: int, *, key_prefix: str) -> None:
    """The stored invoice as a document, with its verification QR code and link and a PDF download."""
    view = attempt(lambda: invoice_view.invoice_view(actor=actor, invoice_id=invoice_id))
    if view is None:
        return
    document = view.document
    with st.container(border=True, key=f"{key_prefix}_invoice"):
        body, code = st.columns([4, 1])
        with body:
            st.markdown(f"#### {plain(t('invoice_view.title', number=document.number))}", anchors=False)
            st.caption(plain(" · ".join(_facts(view))))
        with code:
            if view.qr_png and view.verification_link:
                st.image(view.qr_png, width=160)
        seller_col, buyer_col = st.columns(2)
        seller_col.markdown(_party(t("invoice_view.seller"), document.seller))
        buyer_col.markdown(_party(t("invoice_view.buyer"), document.buyer))
        _lines(document, key_prefix)
        _totals(document, key_prefix)
        _payment(document)
        if view.verification_link:
            st.link_button(t("faktury.view.link"), view.verification_link, icon=":material/verified:")
            st.caption(plain(view.verification_link))
        else:
            st.caption(t("faktury.view.no_link"))
        name = (view.ksef_number or document.number or str(invoice_id)).replace("/", "_")
        st.download_button(
            t("faktury.view.pdf"), data=_pdf(actor, invoice_id, language()), file_name=f"{name}.pdf", mime=PDF_MIME,
            key=f"{key_prefix}_pdf", on_click="ignore", icon=":material/picture_as_pdf:", type="primary",
        )  # fmt: skip


def client_invoices(actor: Actor, client_id: int) -> None:
    """Klient page: the client's newest invoices to pick from, and the one picked shown as a document."""
    page = attempt(lambda: invoices.list_invoices(actor=actor, client_id=client_id, limit=CLIENT_SHOWN))
    if page is None:
        return
    if not page.items:
        st.info(t("klient.invoices.empty"))
        return
    by_id = {row.id: row for row in page.items}
    if st.session_state.get(CLIENT_PICK) not in by_id:
        st.session_state[CLIENT_PICK] = page.items[0].id
    labels = {
        row.id: " — ".join(part for part in (row.invoice_number, format_date(row.issue_date),
                                             row.ksef_number or t(f"faktury.status.{row.status}")) if part)
        for row in page.items
    }  # fmt: skip
    chosen = st.selectbox(
        t("klient.invoices.pick"),
        options=list(by_id),
        format_func=labels.__getitem__,
        key=CLIENT_PICK,
        placeholder=t("common.choose"),
    )
    if page.total > len(page.items):
        st.caption(t("klient.invoices.more", shown=format_int(len(page.items)), total=format_int(page.total)))
    if chosen is not None:
        invoice_section(actor, int(chosen), key_prefix="klient_invoice")
