"""The invoice as an A4 PDF, drawn with fpdf2 in DejaVu Sans (embedded, so Polish letters print everywhere).

fpdf2 is pure Python (it needs Pillow, fontTools and defusedxml from PyPI, no system library), subsets the embedded
TrueType font to the glyphs used, and draws tables and PNG images, which is all an invoice needs.
"""

from __future__ import annotations

import io
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from core.formatting import format_date
from core.services.invoice_view.document import InvoiceDocument, Party, money, quantity
from core.texts import render

FONTS = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"
GREY = (90, 90, 90)
HEADINGS = FontFace(emphasis="BOLD", fill_color=(235, 238, 242))


def _party_text(party: Party) -> str:
    return "\n".join(line for line in (party.name, party.identifier, *party.address, *party.contact) if line)


def render_pdf(
    document: InvoiceDocument, ksef_number: str | None, link: str | None, qr_png: bytes | None, lang: str = "pl"
) -> bytes:
    def t(key: str, **values: object) -> str:
        return render(f"invoice_view.{key}", lang, **values)

    currency = document.currency
    pdf = FPDF(format="A4")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(t("title", number=document.number))
    pdf.set_creator("KSeF Office Console")
    pdf.add_page()

    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(0, 8, t("title", number=document.number), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 9)
    kind = render(f"invoice_view.kind.{document.kind}", lang) if document.kind else ""
    facts = [
        kind if kind != f"invoice_view.kind.{document.kind}" else document.kind,
        t("ksef_number", number=ksef_number) if ksef_number else t("no_ksef_number"),
        t("issued", date=format_date(document.issue_date), place=document.issue_place).rstrip(", "),
    ]
    if document.sale_date:
        facts.append(t("sale_date", date=format_date(document.sale_date)))
    if document.period:
        facts.append(t("period", first=format_date(document.period[0]), last=format_date(document.period[1])))
    for fact in facts:
        if fact:
            pdf.multi_cell(0, 5, fact, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)

    with pdf.table(col_widths=(1, 1), headings_style=HEADINGS, line_height=5, padding=2) as table:
        heading = table.row()
        heading.cell(t("seller"))
        heading.cell(t("buyer"))
        parties = table.row()
        parties.cell(_party_text(document.seller))
        parties.cell(_party_text(document.buyer))
    pdf.ln(4)

    if document.lines:
        value_head = t("col.gross_value") if document.gross_priced else t("col.net_value")
        price_head = t("col.gross_price") if document.gross_priced else t("col.net_price")
        with pdf.table(
            col_widths=(8, 56, 12, 16, 24, 26, 18), text_align=("RIGHT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT",
            "RIGHT"), headings_style=HEADINGS, line_height=4.5, padding=1.5,
        ) as table:  # fmt: skip
            heading = table.row()
            for label in (t("col.no"), t("col.name"), t("col.unit"), t("col.quantity"), price_head, value_head):
                heading.cell(label)
            heading.cell(t("col.rate"))
            for item in document.lines:
                row = table.row()
                price, value = money(item.unit_price, currency), money(item.value, currency)
                for text in (
                    item.number,
                    item.name,
                    item.unit,
                    quantity(item.quantity),
                    price,
                    value,
                    _rate(item.rate),
                ):
                    row.cell(text)
        pdf.ln(4)

    if document.vat_rows:
        with pdf.table(
            width=100, align="RIGHT", col_widths=(40, 30, 30), text_align=("LEFT", "RIGHT", "RIGHT"),
            headings_style=HEADINGS, line_height=4.5, padding=1.5,
        ) as table:  # fmt: skip
            heading = table.row()
            for label in (t("col.rate"), t("col.net"), t("col.vat")):
                heading.cell(label)
            for vat_row in document.vat_rows:
                row = table.row()
                row.cell(t(f"vat.{vat_row.field}"))
                row.cell(money(vat_row.net, currency))
                row.cell(money(vat_row.vat, currency) if vat_row.vat is not None else "—")
        pdf.ln(2)

    totals = [
        (t("total_net"), money(document.total_net, currency), False),
        (t("total_vat"), money(document.total_vat, currency), False),
        (t("total_gross"), money(document.total_gross, currency), True),
    ]
    if document.to_pay is not None:
        totals.append((t("to_pay"), money(document.to_pay, currency), True))
    for label, value, bold in totals:
        if value:
            pdf.set_font(FONT, "B" if bold else "", 11 if bold else 9)
            pdf.cell(0, 6, f"{label}: {value}", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 9)
    pdf.ln(2)

    payment = []
    if document.payment_due:
        payment.append(t("payment_due", dates=", ".join(format_date(d) for d in document.payment_due)))
    if document.payment_form:
        payment.append(t("payment_form", form=t(f"form.{document.payment_form}")))
    payment.extend(t("bank_account", account=account) for account in document.bank_accounts)
    payment.extend(f"{key}: {value}" for key, value in document.notes if key or value)
    payment.extend(document.footer)
    for note in payment:
        pdf.multi_cell(0, 5, note, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    if link and qr_png:
        pdf.ln(4)
        if pdf.get_y() > pdf.h - 70:
            pdf.add_page()
        top = pdf.get_y()
        pdf.image(io.BytesIO(qr_png), x=15, y=top, w=38)
        pdf.set_xy(58, top + 2)
        pdf.set_font(FONT, "B", 9)
        pdf.multi_cell(0, 5, t("verify"), new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 8)
        pdf.multi_cell(0, 4.5, link, link=link, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_y(max(pdf.get_y(), top + 42))

    pdf.ln(4)
    pdf.set_font(FONT, "", 7)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(0, 4, t("printed_note"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _rate(rate: str) -> str:
    return f"{rate} %" if rate.isdigit() else rate
