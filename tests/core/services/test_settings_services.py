"""Small services the Faktury and Ustawienia pages use: all notification switches at once, a batch's invoices."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput, NotFound, PermissionDenied
from core.services import invoices
from core.services.notifications import settings as notification_settings
from core.types import NotificationKind
from tests import seeding
from tests.conftest import make_office


def test_switches_are_saved_together(office):
    chosen = dict.fromkeys(NotificationKind, (True, ""))
    chosen["package_80"] = (False, " a@biuro.pl ,b@biuro.pl ")
    notification_settings.set_switches(actor=office.manager, settings=chosen)
    saved = notification_settings.switches(actor=office.manager)
    assert saved["package_80"] == (False, "a@biuro.pl, b@biuro.pl")
    assert all(enabled for kind, (enabled, _) in saved.items() if kind != "package_80")


def test_a_bad_address_saves_no_switch(office):
    chosen = dict.fromkeys(NotificationKind, (False, ""))
    chosen["auth_failed"] = (True, "zly-adres")
    with pytest.raises(InvalidInput) as refused:
        notification_settings.set_switches(actor=office.manager, settings=chosen)
    assert refused.value.problems == ["Uwierzytelnienie nieudane: zly-adres nie jest adresem e-mail."]
    assert all(enabled for enabled, _ in notification_settings.switches(actor=office.manager).values())


def test_only_the_manager_sets_switches(office):
    with pytest.raises(PermissionDenied):
        notification_settings.set_switches(actor=office.support, settings={})


def test_invoices_by_id_keep_the_order_asked_and_the_office(office):
    ids = seeding.add_clients(office, 1)
    first = seeding.add_invoice(ids[0], number="A/1")
    second = seeding.add_invoice(ids[0], number="A/2", upo=b"<UPO/>")
    other = make_office(name="Inne Biuro", nip="7740001454", account_id="BR-INNE", suffix="2")
    foreign = seeding.add_invoice(seeding.add_clients(other, 1, seed=99)[0], number="X/1")
    rows = invoices.invoices_by_id(actor=office.analyst, invoice_ids=[second, first])
    assert [(r.invoice_number, r.has_upo) for r in rows] == [("A/2", True), ("A/1", False)]
    with pytest.raises(NotFound):  # another office's invoice is not found (issue 10 #2), never silently skipped
        invoices.invoices_by_id(actor=office.analyst, invoice_ids=[second, foreign, first])
    assert invoices.invoices_by_id(actor=office.analyst, invoice_ids=[]) == []
