"""Ustawienia → Powiadomienia: the demo's local inbox (the e-mails `make run`'s mail catcher caught), newest first,
each with its subject, recipient and date, its text a click away."""

from __future__ import annotations

import streamlit as st

from core.formatting import format_datetime, format_int
from core.security import Actor
from core.services.notifications import mailbox
from dashboard.components.errors import attempt
from dashboard.components.plain import plain
from dashboard.i18n import t


def mailbox_section(actor: Actor) -> None:
    caught = attempt(lambda: mailbox.caught_mail(actor=actor))
    if caught is None:  # the office mails through a real server: nothing is kept here
        return
    st.subheader(t("ustawienia.mailbox.title"))
    st.caption(t("ustawienia.mailbox.help", count=format_int(len(caught))))
    if not caught:
        st.info(t("ustawienia.mailbox.empty"))
        return
    for index, mail in enumerate(caught):
        when = format_datetime(mail.sent_at) if mail.sent_at else ""
        label = " · ".join(plain(part) for part in (when, mail.recipients, mail.subject) if part)
        with st.expander(label, key=f"ustawienia_mailbox_{index}"):
            st.caption(
                t("ustawienia.mailbox.headers", sender=plain(mail.sender), recipients=plain(mail.recipients), date=when)
            )
            st.text(mail.body)
