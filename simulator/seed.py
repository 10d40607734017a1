"""Seeding an accounting office and its clients in the states the console must handle (PROTOCOL.md §16).

Every client context grants the office NIP InvoiceRead + InvoiceWrite as an entity grant (delegable, so the office can
pass them on to employees), except `rights_missing`. Scenarios:
- healthy: grant, a KSeF token with InvoiceRead + InvoiceWrite, invoices in both directions;
- rights_missing: no office grant (office-certificate auth ends 415); the token holds only CredentialsRead;
- token_revoked: like healthy, but the token is revoked (auth ends 450);
- cert_expired / cert_expiring: a client-owned Authentication certificate expired / expiring in 10 days, no token;
- many_invoices: 3,000 invoices; no_invoices: none; wrong_company_key: like healthy (the console makes it wrong).
Seeding is idempotent: an office or client seen before gets its stored credentials back.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from simulator import certificates, invoicegen, invoices, permissions, tokens
from simulator.admininput import AdminError, Fields
from simulator.runtime import Simulator
from simulator.state import SeededClient, SeededOffice

SCENARIOS = (
    "healthy",
    "rights_missing",
    "token_revoked",
    "cert_expired",
    "cert_expiring",
    "many_invoices",
    "no_invoices",
    "wrong_company_key",
    "token_only",
)
INVOICE_COUNTS = {"many_invoices": 3000, "no_invoices": 0}
OFFICE_PERMISSIONS = ("InvoiceRead", "InvoiceWrite")
HISTORY_DAYS = 80  # fits one 3-month query window
DEFAULT_INVOICES_PER_CLIENT = 20


MAX_CLIENTS = 1_000  # clients per seed request (the demo office has 50, the benchmarks 300)
NAME_LENGTH = 256


@dataclass(frozen=True)
class ClientSpec:
    nip: str
    name: str
    scenario: str


@dataclass(frozen=True)
class SeedRequest:
    office_nip: str
    office_name: str
    clients: list[ClientSpec]
    invoices_per_client: int


def parse_request(body: dict[str, Any]) -> SeedRequest:
    """The whole request checked before anything is seeded; AdminError names the first bad field."""
    fields = Fields(body)
    office_nip = fields.nip("officeNip")
    office_name = fields.text("officeName", NAME_LENGTH, f"Biuro rachunkowe {office_nip}")
    specs = []
    for index, item in enumerate(fields.items("clients", MAX_CLIENTS, [])):
        client = Fields(item, f"clients[{index}]")
        nip = client.nip("nip")
        name = client.text("name", NAME_LENGTH, f"Klient {nip}")
        specs.append(ClientSpec(nip, name, client.choice("scenario", SCENARIOS, "healthy")))
        client.done()
    per_client = fields.integer("invoicesPerClient", 0, invoices.MAX_GENERATED, DEFAULT_INVOICES_PER_CLIENT)
    fields.done()
    total = sum(INVOICE_COUNTS.get(spec.scenario, per_client) for spec in specs)
    if total > invoices.MAX_GENERATED:
        raise AdminError(
            f"Jedno zasiewanie może wygenerować najwyżej {invoices.MAX_GENERATED} faktur, a to wygenerowałoby {total}."
        )
    return SeedRequest(office_nip, office_name, specs, per_client)


def _certificate(sim: Simulator, nip: str, name: str, starts_days_ago: float, lasts_days: float) -> str:
    now = sim.now()
    record, _key = certificates.issue_with_new_key(
        sim,
        subject_type="Nip",
        subject_value=nip,
        common_name=name,
        certificate_type="Authentication",
        valid_from=now - timedelta(days=starts_days_ago),
        valid_to=now - timedelta(days=starts_days_ago) + timedelta(days=lasts_days),
    )
    return record.serial


def _seed_client(
    sim: Simulator,
    office: SeededOffice,
    spec: ClientSpec,
    invoice_count: int,
    token_seed: bytes | None,
    pending: list[Generation],
) -> SeededClient:
    sim.context(spec.nip, spec.name)
    if spec.scenario not in ("rights_missing", "token_only"):
        permissions.add_grants(
            sim,
            kind="entity",
            context_nip=spec.nip,
            subject=("Nip", office.nip),
            permissions=[(permission, True) for permission in OFFICE_PERMISSIONS],
            description=f"Biuro rachunkowe {office.name}"[:256],
            author=("Nip", spec.nip),
            subject_details={"subjectDetailsType": "EntityByIdentifier", "fullName": office.name[:100]},
        )
    token_text, serial = None, None
    if spec.scenario in ("cert_expired", "cert_expiring"):
        serial = (
            _certificate(sim, spec.nip, spec.name, 400, 399)
            if spec.scenario == "cert_expired"
            else _certificate(sim, spec.nip, spec.name, 355, 365)
        )
    else:
        granted = ["CredentialsRead"] if spec.scenario == "rights_missing" else list(OFFICE_PERMISSIONS)
        token = tokens.create_token(
            sim,
            context_nip=spec.nip,
            permissions=granted,
            description=f"Token dla biura {office.name}"[:256],
            author=("Nip", spec.nip),
            deterministic_seed=token_seed,
        )
        if spec.scenario == "token_revoked":
            token.status = "Revoked"
        token_text = token.secret
    count = INVOICE_COUNTS.get(spec.scenario, invoice_count)
    if count:
        rnd = random.Random(f"invoices-{spec.nip}")
        company = invoicegen.random_company(rnd, spec.nip, spec.name)
        pending.append(Generation(invoices.GenerationRequest(company, count, "both", HISTORY_DAYS), rnd))
    return SeededClient(spec.nip, spec.name, spec.scenario, token_text, serial)


def _client_view(sim: Simulator, client: SeededClient) -> dict[str, Any]:
    record = sim.state.certificates.get(client.certificate_serial or "")
    return {
        "nip": client.nip,
        "name": client.name,
        "scenario": client.scenario,
        "ksefToken": client.token,
        "certificate": certificates.admin_view(record) if record else None,
    }


@dataclass
class Generation:
    request: invoices.GenerationRequest
    rnd: random.Random


@dataclass
class Seeding:
    """A seeded office whose clients' invoices are still to be generated (`finish` or `finish_off_loop`)."""

    result: dict[str, Any]
    pending: list[Generation]

    def finish(self, sim: Simulator) -> dict[str, Any]:
        for generation in self.pending:
            invoices.generate(sim, generation.request, generation.rnd)
        return self.result

    async def finish_off_loop(self, sim: Simulator) -> dict[str, Any]:
        for generation in self.pending:
            await invoices.generate_off_loop(sim, generation.request, generation.rnd)
        return self.result


def prepare(sim: Simulator, body: dict[str, Any], *, token_seed: bytes | None = None) -> Seeding:
    """Seed the office and its clients (grants, tokens, certificates); their invoices are left pending."""
    request = parse_request(body)
    office = sim.state.offices.get(request.office_nip)
    if office is None:
        sim.context(request.office_nip, request.office_name)
        serial = _certificate(sim, request.office_nip, request.office_name, 1, 730)
        office = SeededOffice(request.office_nip, request.office_name, serial)
        sim.state.offices[request.office_nip] = office
    pending: list[Generation] = []
    for spec in request.clients:
        if spec.nip not in office.clients:
            office.clients[spec.nip] = _seed_client(sim, office, spec, request.invoices_per_client, token_seed, pending)
    sim.touch()
    listed = [office.clients[spec.nip] for spec in request.clients]
    result = {
        "office": {
            "nip": office.nip,
            "name": office.name,
            "certificate": certificates.admin_view(sim.state.certificates[office.certificate_serial]),
        },
        "clients": [_client_view(sim, client) for client in listed],
    }
    return Seeding(result, pending)


def seed_office(sim: Simulator, body: dict[str, Any], *, token_seed: bytes | None = None) -> dict[str, Any]:
    """Seed everything at once, blocking (start-up and tests)."""
    return prepare(sim, body, token_seed=token_seed).finish(sim)
