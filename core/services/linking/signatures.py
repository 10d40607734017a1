"""Qualified signature / seal and Trusted Profile: the console prepares the AuthTokenRequest, a person signs it
outside (gov.pl or signature software) within the challenge's ten minutes and uploads it back. These methods cannot
renew themselves, so the link records when re-authorization is due (the refresh token's end, at most 7 days)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree
from sqlmodel import Session

import ksef_spec
from core import audit
from core.db import session_scope
from core.errors import InvalidInput, NotFound
from core.ksef import session_cache
from core.ksef.auth import signature_challenge, submit_signed_request
from core.ksef.errors import KsefFailure
from core.ksef.gateway import KsefGateway
from core.ksef.transcript import Transcript
from core.models import Client, Link, LinkOutcome, Office
from core.security import Actor, Permission
from core.services import problems
from core.services.linking.credentials import signature_anchor
from core.services.linking.keys import current_key
from core.services.linking.links import verify_link
from core.services.linking.rehearsal import sign_with_rehearsal_seal
from core.services.linking.status import active_link, refresh_link_status
from core.services.scope import client_in_office
from core.texts import Text
from core.types import AuthMethod, KsefEnvironment

SIGNATURE_METHODS = {AuthMethod.qualified_signature, AuthMethod.trusted_profile}
MAX_SIGNED_FILE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class SignatureRequest:
    client_id: int
    method: str
    environment: str
    xml: str
    expires_at: datetime
    file_name: str


def _client(session: Session, actor: Actor, client_id: int) -> Client:
    client = client_in_office(session, actor, client_id)
    if client.archived_at is not None:
        raise NotFound(Text("client.not_found_active", id=client_id))
    return client


def start_signature(*, actor: Actor, client_id: int, method: str, confirm_production: bool = False) -> SignatureRequest:
    """Ask KSeF for a challenge and build the XML to sign; the countdown runs from now."""
    actor.require(Permission.run_operations)
    if method not in SIGNATURE_METHODS:
        raise InvalidInput(Text("signature.not_needed"))
    with session_scope() as session:
        client = _client(session, actor, client_id)
        environment, nip = client.environment, client.nip
    if environment == KsefEnvironment.PROD and not confirm_production:
        raise InvalidInput(Text("signature.confirm_production"))
    with KsefGateway(environment, nip) as gateway:
        prepared = signature_challenge(gateway)  # a KsefFailure is a ServiceError the page shows
    with session_scope(write=True) as session:
        audit.record(session, actor, "signature.start", f"client:{client_id}", method=method)
    return SignatureRequest(
        client_id, method, environment, prepared.xml, prepared.expires_at, f"AuthTokenRequest-{nip}.xml"
    )


def _check_signed_file(signed: bytes) -> str:
    if len(signed) > MAX_SIGNED_FILE_BYTES:
        raise InvalidInput(Text("signature.too_big"))
    try:
        document = etree.fromstring(signed, ksef_spec.safe_xml_parser())
    except etree.XMLSyntaxError as error:
        raise InvalidInput(Text("signature.not_xml", error=error.msg, line=error.lineno)) from None
    if etree.QName(document).localname != "AuthTokenRequest":
        raise InvalidInput(Text("signature.not_auth_request"))
    if not document.findall(".//{http://www.w3.org/2000/09/xmldsig#}Signature"):
        raise InvalidInput(Text("signature.unsigned"))
    return signed.decode("utf-8")


def complete_signature(*, actor: Actor, client_id: int, method: str, signed_xml: bytes) -> LinkOutcome:
    """Submit the signed file; on success the client is linked with this method until re-authorization is due."""
    actor.require(Permission.run_operations)
    if method not in SIGNATURE_METHODS:
        raise InvalidInput(Text("signature.wrong_method"))
    method = AuthMethod(method)
    with session_scope() as session:
        client = _client(session, actor, client_id)
        environment, nip = client.environment, client.nip
    text = _check_signed_file(signed_xml)
    transcript = Transcript()
    try:
        with KsefGateway(environment, nip, transcript=transcript) as gateway:
            tokens = submit_signed_request(gateway, signed_xml=text)
    except KsefFailure as failure:
        with session_scope(write=True) as session:
            office_id = _client(session, actor, client_id).office_id
            problems.record_failure(
                session, office_id=office_id, client_id=client_id, operation="link", failure=failure,
                transcript=transcript.tail(),
            )  # fmt: skip
            status = refresh_link_status(session, client_id)
        return LinkOutcome(client_id, False, status, failure.problem_class, failure.message)
    with session_scope(write=True) as session:
        client = _client(session, actor, client_id)
        office = session.get(Office, actor.office_id)
        assert office is not None and client.id is not None
        anchor = signature_anchor(session, office_id=actor.office_id, client_id=client.id, method=method)
        anchor.subject_identifier = _signer_identifier(signed_xml) or anchor.subject_identifier
        link = active_link(session, client_id) or Link(client_id=client_id, environment=environment, auth_method=method)
        link.environment, link.auth_method, link.credential_id = environment, method, anchor.id
        link.company_key = link.company_key or current_key(session, client, office) or ""
        link.reauth_due_at = tokens.refresh_valid_until
        session.add(link)
        audit.record(session, actor, "signature.complete", f"client:{client_id}", method=method)
        anchor_id = anchor.id
    assert anchor_id is not None
    session_cache.store(client_id, anchor_id, tokens)
    return verify_link(actor=actor, client_id=client_id)


def _signer_identifier(signed_xml: bytes) -> str:
    """NIP or PESEL of the signing certificate (so an owner's signature is recognised as Owner)."""
    import base64

    from cryptography import x509

    from core.services.certificates.files import describe

    document = etree.fromstring(signed_xml, ksef_spec.safe_xml_parser())
    found = document.find(".//{http://www.w3.org/2000/09/xmldsig#}X509Certificate")
    if found is None or not (found.text or "").strip():
        return ""
    try:
        info = describe(x509.load_der_x509_certificate(base64.b64decode("".join(found.text.split()))))
    except ValueError:
        return ""
    return info.subject_nip or info.subject_pesel or ""


def sign_in_simulator(*, actor: Actor, client_id: int, xml: str) -> bytes:
    """Rehearsal on SIM: sign the prepared request with a throw-away test seal of the client."""
    actor.require(Permission.run_operations)
    with session_scope() as session:
        client = _client(session, actor, client_id)
        if client.environment != KsefEnvironment.SIM:
            raise InvalidInput(Text("signature.rehearsal_only_sim"))
        nip, name = client.nip, client.name
    return sign_with_rehearsal_seal(xml, nip=nip, name=name).encode()


def start_signatures(*, actor: Actor, client_ids: list[int], method: str, confirm_production: bool = False) -> bytes:
    """Many clients at once: a ZIP of AuthTokenRequests to sign in one go (signature software signs a folder)."""
    import io
    import zipfile

    if not client_ids:
        raise InvalidInput(Text("link.choose_clients"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for client_id in client_ids:
            prepared = start_signature(
                actor=actor, client_id=client_id, method=method, confirm_production=confirm_production
            )
            archive.writestr(prepared.file_name, prepared.xml)
    return buffer.getvalue()


def _context_nip(signed_xml: bytes) -> str:
    document = etree.fromstring(signed_xml, ksef_spec.safe_xml_parser())
    found = document.find(".//{*}ContextIdentifier/{*}Nip")
    return (found.text or "").strip() if found is not None else ""


def complete_signatures(*, actor: Actor, method: str, files: list[tuple[str, bytes]]) -> dict[str, LinkOutcome | str]:
    """Upload many signed files at once; each is matched to its client by the NIP inside. Returns file → outcome."""
    from core.services.clients.register import find_client_by_nip

    outcomes: dict[str, LinkOutcome | str] = {}
    for name, data in files:
        try:
            _check_signed_file(data)
            client = find_client_by_nip(actor=actor, nip=_context_nip(data))
            outcomes[name] = complete_signature(actor=actor, client_id=client.id, method=method, signed_xml=data)
        except (InvalidInput, NotFound) as error:
            outcomes[name] = error.message
        except etree.XMLSyntaxError as error:
            outcomes[name] = str(error)
    return outcomes
