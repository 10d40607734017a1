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
from simulator.ids import NipError, validate_nip
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
)
INVOICE_COUNTS = {"many_invoices": 3000, "no_invoices": 0}
OFFICE_PERMISSIONS = ("InvoiceRead", "InvoiceWrite")
HISTORY_DAYS = 80  # fits one 3-month query window
DEFAULT_INVOICES_PER_CLIENT = 20


class SeedError(ValueError):
    pass


@dataclass(frozen=True)
class ClientSpec:
    nip: str
    name: str
    scenario: str


def _nip(value: Any, what: str) -> str:
    try:
        return validate_nip(str(value))
    except NipError as error:
        raise SeedError(f"{what}: {error}") from None


def parse_clients(raw: Any) -> list[ClientSpec]:
    if not isinstance(raw, list):
        raise SeedError("clients: wymagana lista")
    specs = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise SeedError(f"clients[{index}]: wymagany obiekt")
        scenario = str(item.get("scenario") or "healthy")
        if scenario not in SCENARIOS:
            raise SeedError(f"clients[{index}].scenario: {scenario!r} nie należy do {list(SCENARIOS)}")
        nip = _nip(item.get("nip"), f"clients[{index}].nip")
        specs.append(ClientSpec(nip, str(item.get("name") or f"Klient {nip}"), scenario))
    return specs


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
    sim: Simulator, office: SeededOffice, spec: ClientSpec, invoice_count: int, token_seed: bytes | None
) -> SeededClient:
    sim.context(spec.nip, spec.name)
    if spec.scenario != "rights_missing":
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
        invoices.generate(sim, invoices.GenerationRequest(company, count, "both", HISTORY_DAYS), rnd)
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


def seed_office(sim: Simulator, body: dict[str, Any], *, token_seed: bytes | None = None) -> dict[str, Any]:
    office_nip = _nip(body.get("officeNip"), "officeNip")
    office_name = str(body.get("officeName") or f"Biuro rachunkowe {office_nip}")
    specs = parse_clients(body.get("clients") or [])
    per_client = body.get("invoicesPerClient", DEFAULT_INVOICES_PER_CLIENT)
    if not isinstance(per_client, int) or isinstance(per_client, bool) or not 0 <= per_client <= 20_000:
        raise SeedError("invoicesPerClient: liczba całkowita 0..20000")
    office = sim.state.offices.get(office_nip)
    if office is None:
        sim.context(office_nip, office_name)
        serial = _certificate(sim, office_nip, office_name, 1, 730)
        office = SeededOffice(office_nip, office_name, serial)
        sim.state.offices[office_nip] = office
    for spec in specs:
        if spec.nip not in office.clients:
            office.clients[spec.nip] = _seed_client(sim, office, spec, per_client, token_seed)
    sim.touch()
    listed = [office.clients[spec.nip] for spec in specs]
    return {
        "office": {
            "nip": office.nip,
            "name": office.name,
            "certificate": certificates.admin_view(sim.state.certificates[office.certificate_serial]),
        },
        "clients": [_client_view(sim, client) for client in listed],
    }
