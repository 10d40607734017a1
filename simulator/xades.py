"""Reading and verifying a signed AuthTokenRequest (PROTOCOL.md §4.3) with lxml and xmlsec.

Order of checks, each with the spec's 400 code: encoding (21217), well-formed XML (21001), the AuthTokenRequest root in
the 2.0 or 2.1 namespace (9101), exactly one signature (9102/9103), an enveloped or enveloping signature whose
references stay inside the document (9105; detached is rejected), the signature itself (9105), the signing certificate
in KeyInfo (21115), and the XSD (21401). The certificate's trust and validity are judged later, as auth status 460.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

import xmlsec
from cryptography import x509
from lxml import etree

import ksef_spec
from simulator.crypto import sha256_b64
from simulator.errors import ApiError

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
NAMESPACES = {"http://ksef.mf.gov.pl/auth/token/2.0": "2.0", "http://ksef.mf.gov.pl/auth/token/2.1": "2.1"}
NS_2_1 = "http://ksef.mf.gov.pl/auth/token/2.1"
# The XSD writes these two patterns with ^ and $, which XSD reads as literals (PROTOCOL.md §17); checked here instead.
_OWN_PATTERNS = {
    "NipVatUe": re.compile(r"[1-9]((\d[1-9])|([1-9]\d))\d{7}-[A-Z]{2}[A-Z0-9+*]{2,13}"),
    "PeppolId": re.compile(r"P[A-Z]{2}[0-9]{6}"),
}
_PLACEHOLDER_NIP = "1111111111"


@dataclass(frozen=True)
class SignedAuthRequest:
    schema_version: str
    challenge: str
    context_type: str
    context_value: str
    subject_identifier_type: str
    ip_policy: dict[str, list[str]] | None
    certificate: x509.Certificate
    certificate_der: bytes
    document_hash: str


def _parse(raw: bytes) -> etree._Element:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(21217, "Dokument musi być zakodowany w UTF-8.") from None
    try:
        return etree.fromstring(raw, parser=ksef_spec.safe_xml_parser())
    except etree.XMLSyntaxError as error:
        raise ApiError(21001, str(error)) from None


def _signature(root: etree._Element) -> etree._Element:
    signatures = root.findall(f".//{{{DS}}}Signature")
    if not signatures:
        raise ApiError(9102, "Dokument nie zawiera podpisu XML.")
    if len(signatures) > 1:
        raise ApiError(9103, "Dokument może zawierać tylko jeden podpis.")
    return signatures[0]


def _check_references(signature: etree._Element) -> None:
    references = signature.findall(f"{{{DS}}}SignedInfo/{{{DS}}}Reference")
    uris = [reference.get("URI") for reference in references]
    # Only same-document references: this also keeps xmlsec from fetching anything over the network.
    if not uris or any(uri is None or (uri and not uri.startswith("#")) for uri in uris):
        raise ApiError(9105, "Podpis zewnętrzny (detached) nie jest akceptowany.")
    enveloped = any(
        reference.get("URI") == ""
        and any(
            transform.get("Algorithm") == "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
            for transform in reference.iter(f"{{{DS}}}Transform")
        )
        for reference in references
    )
    if not enveloped:
        raise ApiError(9105, "Podpis musi obejmować cały dokument (enveloped).")


def _certificate(signature: etree._Element) -> tuple[x509.Certificate, bytes]:
    node = signature.find(f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate")
    if node is None or not (node.text or "").strip():
        raise ApiError(21115, "Brak certyfikatu podpisującego w KeyInfo.")
    try:
        der = base64.b64decode("".join((node.text or "").split()), validate=True)
        return x509.load_der_x509_certificate(der), der
    except ValueError:
        raise ApiError(21115, "Certyfikat w KeyInfo jest nieczytelny.") from None


def _verify(root: etree._Element, signature: etree._Element, der: bytes) -> None:
    context = xmlsec.SignatureContext()
    try:
        context.key = xmlsec.Key.from_memory(der, xmlsec.constants.KeyDataFormatCertDer, None)
        for node in root.iter(f"{{{XADES}}}SignedProperties"):
            if node.get("Id"):
                context.register_id(node, "Id")
        context.verify(signature)
    except xmlsec.Error as error:
        raise ApiError(9105, f"Weryfikacja podpisu nie powiodła się: {error}") from None


def _text(parent: etree._Element, namespace: str, name: str) -> str:
    node = parent.find(f"{{{namespace}}}{name}")
    return (node.text or "").strip() if node is not None else ""


def _validate_xsd(root: etree._Element, namespace: str, context_type: str) -> None:
    """Validate a copy without the signature, in the 2.1 namespace (2.0 differs only in IP patterns libxml2 rejects)."""
    text = etree.tostring(root).decode("utf-8").replace(namespace, NS_2_1)
    copy = etree.fromstring(text.encode("utf-8"), parser=ksef_spec.safe_xml_parser())
    for node in copy.findall(f".//{{{DS}}}Signature"):
        node.getparent().remove(node)
    if context_type in _OWN_PATTERNS:
        element = copy.find(f"{{{NS_2_1}}}ContextIdentifier/{{{NS_2_1}}}{context_type}")
        if element is not None:
            element.tag = f"{{{NS_2_1}}}Nip"
            element.text = _PLACEHOLDER_NIP
    schema = ksef_spec.auth_request_schema()
    if not schema.validate(copy):
        details = [f"linia {entry.line}: {entry.message}" for entry in list(schema.error_log)[:5]]
        raise ApiError(21401, details)


def _ip_policy(root: etree._Element, namespace: str) -> dict[str, list[str]] | None:
    allowed = root.find(f"{{{namespace}}}AuthorizationPolicy/{{{namespace}}}AllowedIps")
    if allowed is None:
        return None
    return {
        key: [(node.text or "").strip() for node in allowed.findall(f"{{{namespace}}}{tag}")]
        for key, tag in (("ip4Addresses", "Ip4Address"), ("ip4Ranges", "Ip4Range"), ("ip4Masks", "Ip4Mask"))
    }


def read_signed_request(raw: bytes) -> SignedAuthRequest:
    if not raw.strip():
        raise ApiError(21001, "Pusta treść żądania.")
    root = _parse(raw)
    namespace = etree.QName(root).namespace or ""
    if etree.QName(root).localname != "AuthTokenRequest" or namespace not in NAMESPACES:
        raise ApiError(9101, "Oczekiwano dokumentu AuthTokenRequest (wersja 2.0 lub 2.1).")
    signature = _signature(root)
    _check_references(signature)
    certificate, der = _certificate(signature)
    _verify(root, signature, der)
    context = root.find(f"{{{namespace}}}ContextIdentifier")
    chosen: Any = next(iter(context), None) if context is not None else None
    context_type = etree.QName(chosen).localname if chosen is not None else ""
    _validate_xsd(root, namespace, context_type)
    context_value = (chosen.text or "").strip()
    if context_type in _OWN_PATTERNS and not _OWN_PATTERNS[context_type].fullmatch(context_value):
        raise ApiError(21401, f"{context_type}: wartość {context_value!r} nie spełnia wzorca.")
    return SignedAuthRequest(
        schema_version=NAMESPACES[namespace],
        challenge=_text(root, namespace, "Challenge"),
        context_type=context_type,
        context_value=context_value,
        subject_identifier_type=_text(root, namespace, "SubjectIdentifierType"),
        ip_policy=_ip_policy(root, namespace),
        certificate=certificate,
        certificate_der=der,
        document_hash=sha256_b64(raw),
    )
