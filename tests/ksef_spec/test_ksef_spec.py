"""The official files are byte-identical to their sources (SOURCES.md) and load offline."""

import hashlib
import re

import pytest
from lxml import etree

import ksef_spec

ROWS = re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$", (ksef_spec.ROOT / "SOURCES.md").read_text(), re.M)


def test_every_file_in_the_provenance_table_is_listed():
    assert len(ROWS) == 14


@pytest.mark.parametrize(("path", "sha256"), ROWS)
def test_official_file_is_byte_identical(path, sha256):
    assert hashlib.sha256((ksef_spec.ROOT / path).read_bytes()).hexdigest() == sha256


def test_official_fa3_sample_validates_once_placeholders_are_filled():
    text = (ksef_spec.SAMPLES_DIR / "fa3" / "csharp-invoice-template-fa-3.xml").read_text(encoding="utf-8")
    text = text.replace("#nip#", "5265877635").replace("#invoice_number#", "FV/1/2026")
    document = etree.fromstring(text.encode(), ksef_spec.safe_xml_parser())
    schema = ksef_spec.fa3_schema()
    assert schema.validate(document), schema.error_log


def test_schemas_compile_without_network():
    ksef_spec.auth_request_schema()
    ksef_spec.upo_schema()
    assert ksef_spec.openapi("2.6")["openapi"].startswith("3.")
