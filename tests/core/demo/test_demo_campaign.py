"""The demo office has token clients for the campaign (issue 12 #5): most granted the office its rights and switch
from one page; the `token_only` ones did not and get their instruction in the demo mailbox."""

from __future__ import annotations

import pytest

from core.demo.office import seed_demo
from core.security import Actor
from core.services.campaign import letters
from core.services.campaign import tokens as campaign

pytestmark = pytest.mark.slow


def test_the_demo_campaign_switches_the_eligible_and_instructs_the_rest(sqlite_db, sim, monkeypatch):
    office_id = seed_demo()["office_id"]
    actor = Actor.system("test", office_id)
    checked = campaign.check_rights(actor=actor)
    lacking = [r for r in checked.rows if r.on_token and not r.eligible]
    assert checked.remaining >= 15 and checked.eligible == checked.remaining - len(lacking)
    without_rights = [r for r in lacking if "InvoiceRead" in r.message]
    assert len(without_rights) == 6 and all(r.email for r in lacking)  # the others: the demo's network fault
    switched = campaign.switch_clients(
        actor=actor,
        client_ids=[r.client_id for r in checked.rows if r.eligible],
        credential_id=checked.office_certificate_id,
    )
    # A client linked with another company's key (the demo's `wrong_company_key`) stays on its token, told why.
    assert all("klucz należy do firmy" in message for message in switched.failed.values()), switched.failed
    assert len(switched.switched) >= 15
    assert campaign.campaign(actor=actor).remaining == len(lacking) + len(switched.failed)
    monkeypatch.setattr(letters.delivery, "deliver", lambda office, notice, to: ("sent", ""))
    assert len(letters.send_instructions(actor=actor).sent) == len(lacking)
