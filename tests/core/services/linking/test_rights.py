"""The rights doctor's letter to the client, read as the client reads it."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest

from core.models import Office
from core.services.linking.connection import LinkFacts
from core.services.linking.rights import instruction_for_client
from core.types import AuthMethod

OFFICE = Office(name="Biuro Rachunkowe Przykład sp. z o.o.", nip="3692854322", account_id="BR-DEMO-0001")


def _facts(method: str) -> LinkFacts:
    return LinkFacts(
        office_id=1, client_id=2, client_name="Biuro Projektowe Woźniak sp.j.", nip="7907531030", environment="SIM",
        link_id=3, auth_method=method, credential_id=4, company_key="BR-DEMO-0001;ABCD1234;7907531030",
        send_enabled=True,
    )  # fmt: skip


def _doubled_words(text: str) -> list[str]:
    words = re.findall(r"\w{2,}", text.casefold())  # "sp. z o.o." is not a doubled word
    return [first for first, second in pairwise(words) if first == second]


@pytest.mark.parametrize("method", [AuthMethod.ksef_token, AuthMethod.ksef_certificate])
@pytest.mark.parametrize("lang", ["pl", "en"])
def test_the_letter_names_the_office_once_without_a_doubled_word(method, lang):
    """Issue 11 §8: "biuro Biuro Rachunkowe…" — the letter put the word "biuro" before the office's own name."""
    letter = instruction_for_client(office=OFFICE, facts=_facts(method), missing=["InvoiceWrite"]).render(lang)
    assert "Biuro Rachunkowe Przykład sp. z o.o." in letter and "InvoiceWrite" in letter
    assert _doubled_words(letter) == []
