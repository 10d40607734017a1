"""The demo clients' ways into the simulator, one per scenario of data/demo/office.json.

Half of the healthy clients work through the office certificate (the office-level model of PROTOCOL.md §16), the
others through their own KSeF tokens; the broken ones are broken the way real clients break.
"""

from __future__ import annotations

from typing import Any

from cryptography import x509
from sqlmodel import Session, col, select

from core.db import session_scope
from core.models import Client, Credential, Link, Office
from core.services.certificates.files import describe
from core.services.linking.credentials import insert_certificate, insert_token
from core.services.linking.keys import require_key
from core.types import AuthMethod, KsefEnvironment

OFFICE_CERTIFICATE_SCENARIOS = {"rights_missing"}
CLIENT_CERTIFICATE_SCENARIOS = {"cert_expired", "cert_expiring"}


def _certificate(session: Session, office_id: int, client_id: int | None, material: dict[str, Any]) -> Credential:
    info = describe(x509.load_pem_x509_certificate(material["certificatePem"].encode()))
    existing = session.exec(select(Credential).where(Credential.fingerprint == info.fingerprint)).first()
    if existing is not None:
        return existing
    return insert_certificate(
        session, office_id=office_id, client_id=client_id, info=info, key_pem=material["privateKeyPem"]
    )


def link_scenarios(office_id: int, seeded: dict[str, Any]) -> list[int]:
    """Create credentials and links for clients that have none; returns the ids of the clients linked now."""
    linked: list[int] = []
    with session_scope(write=True) as session:
        office = session.get(Office, office_id)
        assert office is not None
        office_certificate = _certificate(session, office_id, None, seeded["office"]["certificate"])
        clients = {c.nip: c for c in session.exec(select(Client).where(Client.office_id == office_id)).all()}
        keys = {nip: require_key(session, client, office) for nip, client in clients.items()}
        for index, entry in enumerate(seeded["clients"]):
            client = clients.get(entry["nip"])
            if client is None or client.id is None or _has_link(session, client.id):
                continue
            scenario = entry["scenario"]
            if scenario in CLIENT_CERTIFICATE_SCENARIOS and entry.get("certificate"):
                credential, method = (
                    _certificate(session, office_id, client.id, entry["certificate"]),
                    AuthMethod.ksef_certificate,
                )
            elif scenario in OFFICE_CERTIFICATE_SCENARIOS or (scenario == "healthy" and index % 2 == 0):
                credential, method = office_certificate, AuthMethod.ksef_certificate
            else:
                credential = insert_token(session, office_id=office_id, client=client, token=entry["ksefToken"])
                method = AuthMethod.ksef_token
            key = keys[client.nip]
            if scenario == "wrong_company_key":
                # Linked by mistake with the key of the next company in the register.
                key = next(k for nip, k in keys.items() if nip != client.nip)
            session.add(
                Link(
                    client_id=client.id,
                    credential_id=credential.id,
                    environment=KsefEnvironment.SIM,
                    auth_method=method,
                    company_key=key,
                    send_enabled=True,
                )
            )
            linked.append(client.id)
    return linked


def _has_link(session: Session, client_id: int) -> bool:
    return (
        session.exec(select(Link.id).where(Link.client_id == client_id, col(Link.unlinked_at).is_(None))).first()
        is not None
    )
