"""Official KSeF data files (OpenAPI, XSD schemas, samples) copied byte-for-byte; see SOURCES.md.

Both the console (`core`) and the simulator read them from here, so neither depends on `../shared`.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

ROOT = Path(__file__).resolve().parent
OPENAPI_2_6 = ROOT / "openapi" / "ksef-openapi-2.6.0-te.json"
OPENAPI_2_7 = ROOT / "openapi" / "ksef-openapi-2.7.0-te.snapshot.json"
FA3_XSD = ROOT / "xsd" / "fa3" / "schemat_FA(3)_v1-0E.xsd"
FA3_BASE_DIR = ROOT / "xsd" / "fa3" / "bazowe"
AUTH_2_1_XSD = ROOT / "xsd" / "auth" / "schemat_auth_v2-1.xsd"
UPO_XSD = ROOT / "xsd" / "upo" / "upo-v4-3.xsd"
SAMPLES_DIR = ROOT / "samples"

FA3_NAMESPACE = "http://crd.gov.pl/wzor/2025/06/25/13775/"
UPO_NAMESPACE = "http://upo.schematy.mf.gov.pl/KSeF/v4-3"
# The FA(3) schema imports its base types by absolute URL; we serve them from the local copy.
_CRD_BASE_URL = "http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2022/01/05/eD/DefinicjeTypy/"


class _LocalCrdResolver(etree.Resolver):  # type: ignore[misc]  # lxml is untyped
    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:
        if system_url and system_url.startswith(_CRD_BASE_URL):
            local = FA3_BASE_DIR / system_url.removeprefix(_CRD_BASE_URL)
            return self.resolve_filename(str(local), context)
        return None


def _schema(path: Path) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_LocalCrdResolver())
    return etree.XMLSchema(etree.parse(str(path), parser))


@cache
def fa3_schema() -> etree.XMLSchema:
    return _schema(FA3_XSD)


@cache
def auth_request_schema() -> etree.XMLSchema:
    return _schema(AUTH_2_1_XSD)


@cache
def upo_schema() -> etree.XMLSchema:
    return _schema(UPO_XSD)


@cache
def openapi(version: str = "2.7") -> dict[str, Any]:
    path = OPENAPI_2_7 if version == "2.7" else OPENAPI_2_6
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def safe_xml_parser() -> etree.XMLParser:
    """A parser for untrusted XML: no network, no entity expansion, no huge trees."""
    return etree.XMLParser(no_network=True, resolve_entities=False, huge_tree=False)
