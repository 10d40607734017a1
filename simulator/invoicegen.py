"""Generated FA(3) invoices with realistic Polish parties and amounts, valid against the official XSD.

Everything is drawn from a `random.Random` the caller seeds, so the demo data is the same on every start.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape

from simulator.ids import nip_check_digit
from simulator.timeutil import iso

_FIRST = ("Anna", "Piotr", "Katarzyna", "Tomasz", "Magdalena", "Krzysztof", "Agnieszka", "Marek", "Ewa", "Paweł")
_SURNAMES = (
    "Nowak",
    "Kowalski",
    "Wiśniewski",
    "Wójcik",
    "Kowalczyk",
    "Kamiński",
    "Lewandowski",
    "Zieliński",
    "Szymański",
    "Woźniak",
    "Dąbrowski",
    "Kozłowski",
    "Jankowski",
    "Mazur",
    "Krawczyk",
)
_TRADES = (
    "Hurtownia",
    "Sklep",
    "Piekarnia",
    "Zakład Usługowy",
    "Biuro Projektowe",
    "Warsztat",
    "Przedsiębiorstwo",
    "Drukarnia",
    "Pracownia",
    "Serwis",
    "Transport",
    "Apteka",
)
_FORMS = ("sp. z o.o.", "S.A.", "sp.j.", "sp.k.", "")
_CITIES = (
    ("00-950", "Warszawa"),
    ("30-001", "Kraków"),
    ("50-001", "Wrocław"),
    ("60-001", "Poznań"),
    ("80-001", "Gdańsk"),
    ("90-001", "Łódź"),
    ("40-001", "Katowice"),
    ("20-001", "Lublin"),
    ("15-001", "Białystok"),
    ("35-001", "Rzeszów"),
    ("70-001", "Szczecin"),
    ("10-001", "Olsztyn"),
)
_STREETS = (
    "Kwiatowa",
    "Polna",
    "Leśna",
    "Słoneczna",
    "Krótka",
    "Szkolna",
    "Ogrodowa",
    "Lipowa",
    "Brzozowa",
    "Łąkowa",
    "Kościuszki",
    "Mickiewicza",
    "Piłsudskiego",
    "Sienkiewicza",
)
# (description, unit, net unit price range in PLN, VAT rate)
_ITEMS = (
    ("Usługa księgowa", "usł.", (300, 2500), 23),
    ("Papier ksero A4", "ryza", (18, 32), 23),
    ("Tonery do drukarek", "szt.", (90, 450), 23),
    ("Konsultacja informatyczna", "godz.", (120, 350), 23),
    ("Transport towarów", "km", (3, 9), 23),
    ("Pieczywo", "kg", (6, 18), 5),
    ("Artykuły spożywcze", "kg", (8, 60), 5),
    ("Usługa gastronomiczna", "usł.", (40, 900), 8),
    ("Materiały budowlane", "szt.", (15, 600), 23),
    ("Najem lokalu", "mies.", (1500, 9000), 23),
    ("Serwis klimatyzacji", "usł.", (250, 1200), 8),
)
_RATE_FIELDS = {23: ("P_13_1", "P_14_1"), 8: ("P_13_2", "P_14_2"), 5: ("P_13_3", "P_14_3")}
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Company:
    nip: str
    name: str
    street: str
    city: str
    postal_code: str


def random_nip(rnd: random.Random) -> str:
    """A NIP that passes the KSeF pattern and the checksum."""
    while True:
        first = str(rnd.randint(1, 9)) + "".join(str(rnd.randint(0, 9)) for _ in range(8))
        digit = nip_check_digit(first)
        nip = f"{first}{digit}" if digit is not None else ""
        if nip and nip[1:3] != "00":  # the pattern forbids "00" in digits 2-3
            return nip


def random_company(rnd: random.Random, nip: str | None = None, name: str | None = None) -> Company:
    postal_code, city = rnd.choice(_CITIES)
    if name is None:
        owner = rnd.choice(_SURNAMES)
        name = f"{rnd.choice(_TRADES)} {owner} {rnd.choice(_FORMS)}".strip()
    street = f"ul. {rnd.choice(_STREETS)} {rnd.randint(1, 120)}"
    return Company(nip or random_nip(rnd), name, street, city, postal_code)


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _party(tag: str, company: Company, rnd: random.Random) -> str:
    person = f"{rnd.choice(_FIRST).lower()}.{rnd.choice(_SURNAMES).lower()}"
    email = person.replace("ą", "a").replace("ę", "e").replace("ł", "l").replace("ń", "n").replace("ó", "o")
    email = email.replace("ś", "s").replace("ź", "z").replace("ż", "z").replace("ć", "c")
    extra = "<JST>2</JST><GV>2</GV>" if tag == "Podmiot2" else ""
    return (
        f"<{tag}><DaneIdentyfikacyjne><NIP>{company.nip}</NIP><Nazwa>{escape(company.name)}</Nazwa>"
        f"</DaneIdentyfikacyjne><Adres><KodKraju>PL</KodKraju><AdresL1>{escape(company.street)}</AdresL1>"
        f"<AdresL2>{company.postal_code} {escape(company.city)}</AdresL2></Adres>"
        f"<DaneKontaktowe><Email>{email}@example.pl</Email></DaneKontaktowe>{extra}</{tag}>"
    )


def invoice_xml(
    *, seller: Company, buyer: Company, number: str, issue_date: date, created: datetime, rnd: random.Random
) -> str:
    """One FA(3) invoice (RodzajFaktury VAT, PLN) with 1-4 lines."""
    lines, totals = [], {rate: [Decimal(0), Decimal(0)] for rate in _RATE_FIELDS}
    for index in range(1, rnd.randint(1, 4) + 1):
        description, unit, (low, high), rate = rnd.choice(_ITEMS)
        quantity = Decimal(rnd.randint(1, 20))
        price = Decimal(rnd.randint(low * 100, high * 100)) / 100
        net = (quantity * price).quantize(CENT, rounding=ROUND_HALF_UP)
        totals[rate][0] += net
        totals[rate][1] += (net * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        lines.append(
            f"<FaWiersz><NrWierszaFa>{index}</NrWierszaFa><P_7>{escape(description)}</P_7><P_8A>{unit}</P_8A>"
            f"<P_8B>{quantity}</P_8B><P_9A>{_money(price)}</P_9A><P_11>{_money(net)}</P_11><P_12>{rate}</P_12>"
            "</FaWiersz>"
        )
    sums = "".join(
        f"<{net_field}>{_money(totals[rate][0])}</{net_field}><{vat_field}>{_money(totals[rate][1])}</{vat_field}>"
        for rate, (net_field, vat_field) in _RATE_FIELDS.items()
        if totals[rate][0]
    )
    gross = sum((net + vat for net, vat in totals.values()), Decimal(0))
    account = "".join(str(rnd.randint(0, 9)) for _ in range(26))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Faktura xmlns="http://crd.gov.pl/wzor/2025/06/25/13775/">'
        '<Naglowek><KodFormularza kodSystemowy="FA (3)" wersjaSchemy="1-0E">FA</KodFormularza>'
        f"<WariantFormularza>3</WariantFormularza><DataWytworzeniaFa>{iso(created)}</DataWytworzeniaFa>"
        "<SystemInfo>Symulator KSeF</SystemInfo></Naglowek>"
        f"{_party('Podmiot1', seller, rnd)}{_party('Podmiot2', buyer, rnd)}"
        f"<Fa><KodWaluty>PLN</KodWaluty><P_1>{issue_date.isoformat()}</P_1><P_1M>{escape(seller.city)}</P_1M>"
        f"<P_2>{escape(number)}</P_2>{sums}<P_15>{_money(gross)}</P_15>"
        "<Adnotacje><P_16>2</P_16><P_17>2</P_17><P_18>2</P_18><P_18A>2</P_18A><Zwolnienie><P_19N>1</P_19N>"
        "</Zwolnienie><NoweSrodkiTransportu><P_22N>1</P_22N></NoweSrodkiTransportu><P_23>2</P_23>"
        "<PMarzy><P_PMarzyN>1</P_PMarzyN></PMarzy></Adnotacje><RodzajFaktury>VAT</RodzajFaktury>"
        f"{''.join(lines)}<Platnosc><TerminPlatnosci><Termin>{issue_date.isoformat()}</Termin></TerminPlatnosci>"
        f"<FormaPlatnosci>6</FormaPlatnosci><RachunekBankowy><NrRB>{account}</NrRB></RachunekBankowy></Platnosc>"
        "</Fa></Faktura>"
    )
