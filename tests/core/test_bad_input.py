"""Bad input (issue 10 #8): every refusal is one sentence, nothing crashes, nothing is half-written.

The corpus of the adversarial run (XXE, DOCTYPE, external DTD, UTF-16 FA(3), UTF-16 CSV, a garbage company key, a
`"G"*30` token, PEM and PKCS#12 together, one certificate three times) plus Hypothesis on ids, keys, tokens,
certificate files, FA(3) files and imports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

import ksef_spec
from core import db
from core.cli import main
from core.errors import Conflict, InvalidInput, NotFound, ServiceError
from core.ids import CompanyKeyError, parse_company_key
from core.invoice_xml import InvoiceFileError, check_invoice
from core.models import ClientCreate, Credential, Invoice, Link, LinkRequest
from core.services import sending
from core.services.certificates.files import CertificateFileError, load_bundle
from core.services.clients import importer
from core.services.clients.register import add_client
from core.services.linking import credentials, links
from core.services.linking import keys as company_keys
from core.types import AuthMethod, KsefEnvironment, LinkStatus
from tests.factories import valid_nips
from tests.seeding import set_link_status

SAMPLE = (ksef_spec.SAMPLES_DIR / "fa3" / "csharp-invoice-template-fa-3.xml").read_text(encoding="utf-8")
NS = 'xmlns="http://crd.gov.pl/wzor/2025/06/25/13775/"'
XXE = (
    f'<?xml version="1.0"?>\n<!DOCTYPE Faktura [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<Faktura {NS}>&x;</Faktura>'
)
EXTERNAL_DTD = f'<?xml version="1.0"?>\n<!DOCTYPE Faktura SYSTEM "http://example.com/fa.dtd">\n<Faktura {NS}/>'
BILLION_LAUGHS = '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><l>&b;</l>'
SHAPED_TOKEN = "20261102-EC-0123456789-ABCDEF0123-4F|nip-{nip}|" + "ab" * 32


def invoice(nip: str, number: str = "FV/1/2026") -> bytes:
    return SAMPLE.replace("#nip#", nip).replace("#invoice_number#", number).encode()


def _one_sentence(error: ServiceError) -> str:
    lines = error.lines()
    assert len(lines) == 1 and "\n" not in lines[0] and "Traceback" not in lines[0]
    return lines[0]


# --- FA(3) files ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (XXE.encode(), "DOCTYPE"),
        (EXTERNAL_DTD.encode(), "DOCTYPE"),
        (BILLION_LAUGHS.encode(), "DOCTYPE"),
        (invoice("5265877635").decode().encode("utf-16"), "UTF-8"),
        (invoice("5265877635").decode().encode("utf-16-le"), "UTF-8"),
        (invoice("5265877635").replace(b'<?xml version="1.0" encoding="UTF-8"?>', b"").decode().encode("utf-32"),
         "UTF-8"),
        (b'<?xml version="1.0" encoding="ISO-8859-2"?>' + f"<Faktura {NS}>\xb1</Faktura>".encode("latin-1"), "UTF-8"),
        (invoice("5265877635").replace(b"Faktura", b"Faktura\xff", 1), "UTF-8"),
    ],
)  # fmt: skip
def test_doctype_and_other_encodings_are_refused_first_in_one_sentence(data, fragment):
    with pytest.raises(InvoiceFileError) as refused:
        check_invoice(data)
    assert fragment in _one_sentence(refused.value)


def test_a_valid_invoice_still_passes():
    clean, facts = check_invoice(invoice("5265877635"))
    assert facts.seller_nip == "5265877635" and clean.startswith(b"<?xml")


def _invoices() -> int:
    with db.session_scope() as session:
        return int(session.exec(select(func.count()).select_from(Invoice)).one())


def test_one_bad_file_never_aborts_the_batch(office, monkeypatch):
    nip = valid_nips(1, seed=31)[0]
    client_id = add_client(actor=office.manager, data=ClientCreate(nip=nip, name="Sprzedawca")).id
    monkeypatch.setattr("core.services.sending.start_job", _fake_job)
    utf16 = invoice(nip, "FV/2").decode().encode("utf-16")
    files = [("xxe.xml", XXE.encode()), ("dtd.xml", EXTERNAL_DTD.encode()), ("dobra.xml", invoice(nip)),
             ("utf16.xml", utf16), ("dobra2.xml", invoice(nip, "FV/3"))]  # fmt: skip
    batch = sending.queue_invoices(actor=office.support, client_id=client_id, files=files)
    assert set(batch.rejected) == {"xxe.xml", "dtd.xml", "utf16.xml"}
    assert all(len(problems) == 1 for problems in batch.rejected.values())
    assert _invoices() == 2


def _fake_job(session, actor, kind, payload, **_: object):
    from types import SimpleNamespace

    return SimpleNamespace(id=1)


def test_a_file_that_breaks_the_checker_is_refused_alone(office, monkeypatch):
    nip = valid_nips(1, seed=32)[0]
    client_id = add_client(actor=office.manager, data=ClientCreate(nip=nip, name="Sprzedawca")).id
    monkeypatch.setattr("core.services.sending.start_job", _fake_job)
    real = sending.check_invoice

    def flaky(data: bytes):
        if b"FV/ZLY" in data:
            raise RecursionError("libxml2 gave up")
        return real(data)

    monkeypatch.setattr("core.services.sending.check_invoice", flaky)
    batch = sending.queue_invoices(
        actor=office.support, client_id=client_id, files=[("zly.xml", invoice(nip, "FV/ZLY")), ("ok.xml", invoice(nip))]
    )
    assert list(batch.rejected) == ["zly.xml"] and _invoices() == 1


# --- client import ----------------------------------------------------------------------------------------------


def test_a_utf16_csv_is_read_and_one_without_its_mark_is_one_sentence(office):
    nip = valid_nips(1, seed=33)[0]
    text = f"NIP;Nazwa\n{nip};Piekarnia Łódź\n"
    rows = importer.read_table("klienci.csv", text.encode("utf-16"))  # Excel's "Unicode text" carries the mark
    assert rows[1] == [nip, "Piekarnia Łódź"]
    with pytest.raises(InvalidInput) as refused:
        importer.read_table("klienci.csv", text.encode("utf-16-le"))
    assert "UTF-8" in _one_sentence(refused.value)
    code = _cli_import(office, text.encode("utf-16-le"))
    assert code == 2


@pytest.mark.parametrize("content", [b"NIP;Nazwa\r\n12\r3;x\n", b'a\rb;c\n"x'])
def test_a_lone_carriage_return_is_read_or_one_sentence(content):
    try:
        assert importer.read_table("klienci.csv", content)
    except InvalidInput as refused:
        _one_sentence(refused)


def _cli_import(office, content: bytes) -> int:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "klienci.csv"
        path.write_bytes(content)
        return main(["client", "import", str(path), "--json"])


# --- tokens, keys, certificates ---------------------------------------------------------------------------------


def _client(office, seed: int) -> tuple[int, str]:
    nip = valid_nips(1, seed=seed)[0]
    return add_client(actor=office.manager, data=ClientCreate(nip=nip, name=f"Firma {seed}")).id, nip


@pytest.mark.parametrize("token", ["G" * 30, "x" * 40, "20261102-EC-0123456789-ABCDEF0123-4F", "a|b|c", " " * 25])
def test_a_token_must_have_the_ksef_token_shape(office, token):
    client_id, _ = _client(office, 34)
    with pytest.raises(InvalidInput) as refused:
        credentials.add_ksef_token(actor=office.support, client_id=client_id, token=token)
    assert "token KSeF" in _one_sentence(refused.value)
    with db.session_scope() as session:
        assert session.exec(select(func.count()).select_from(Credential)).one() == 0


def test_a_shaped_token_is_stored(office):
    client_id, nip = _client(office, 35)
    added = credentials.add_ksef_token(actor=office.support, client_id=client_id, token=SHAPED_TOKEN.format(nip=nip))
    assert added.kind == AuthMethod.ksef_token


def _working_link(office, seed: int) -> tuple[int, str]:
    client_id, nip = _client(office, seed)
    token = credentials.add_ksef_token(actor=office.support, client_id=client_id, token=SHAPED_TOKEN.format(nip=nip))
    key = company_keys.get_company_key(actor=office.support, client_id=client_id)
    with db.session_scope(write=True) as session:
        session.add(
            Link(
                client_id=client_id, credential_id=token.id, environment=KsefEnvironment.SIM,
                auth_method=AuthMethod.ksef_token, company_key=key,
            )
        )  # fmt: skip
    set_link_status(client_id, LinkStatus.linked)
    return client_id, key


def _link_key(client_id: int) -> str:
    with db.session_scope() as session:
        return session.exec(select(Link.company_key).where(Link.client_id == client_id)).one()


@pytest.mark.parametrize("garbage", ["garbage", "BR-TEST;XYZ", "", " ;;; "])
def test_a_garbage_key_never_overwrites_a_working_links_key(office, garbage, capsys):
    client_id, key = _working_link(office, 36)
    with pytest.raises(InvalidInput):
        links.connect_client(
            actor=office.support, client_id=client_id, request=LinkRequest(AuthMethod.ksef_token, company_key=garbage)
        )
    assert _link_key(client_id) == key
    code = main(["link", "connect", "--id", str(client_id), "--method", "ksef_token", "--key", garbage, "--json"])
    assert code != 0 and _link_key(client_id) == key
    capsys.readouterr()


def test_another_companys_key_never_overwrites_a_working_links_key(office):
    client_id, key = _working_link(office, 37)
    other, _ = _client(office, 38)
    wrong = company_keys.get_company_key(actor=office.support, client_id=other)
    with pytest.raises(InvalidInput):
        links.connect_client(
            actor=office.support, client_id=client_id, request=LinkRequest(AuthMethod.ksef_token, company_key=wrong)
        )
    assert _link_key(client_id) == key


def certificate_files(common_name: str = "Jan Kowalski") -> tuple[bytes, bytes, bytes]:
    """(certificate PEM, key PEM, PKCS#12 without a password) of a fresh self-signed certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365)).sign(key, hashes.SHA256())
    )  # fmt: skip
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    p12 = pkcs12.serialize_key_and_certificates(b"c", key, certificate, None, serialization.NoEncryption())
    return pem, key_pem, p12


def test_pem_and_pkcs12_together_are_refused(office, tmp_path, capsys):
    pem, key_pem, p12 = certificate_files()
    with pytest.raises(CertificateFileError) as refused:
        load_bundle(certificate=pem, private_key=key_pem, pkcs12_data=p12)
    assert "nie oba naraz" in _one_sentence(refused.value)
    for name, data in (("c.pem", pem), ("k.pem", key_pem), ("c.p12", p12)):
        (tmp_path / name).write_bytes(data)
    argv = ["credential", "add-cert", "--cert", str(tmp_path / "c.pem"), "--key", str(tmp_path / "k.pem"),
            "--p12", str(tmp_path / "c.p12"), "--json"]  # fmt: skip
    assert main(argv) == 2
    capsys.readouterr()
    with db.session_scope() as session:
        assert session.exec(select(func.count()).select_from(Credential)).one() == 0


def test_the_same_certificate_is_added_once(office):
    client_id, _ = _client(office, 39)
    pem, key_pem, p12 = certificate_files()
    credentials.add_certificate(actor=office.support, client_id=client_id, certificate=pem, private_key=key_pem)
    with pytest.raises(Conflict):
        credentials.add_certificate(actor=office.support, client_id=client_id, certificate=pem, private_key=key_pem)
    with pytest.raises(Conflict):
        credentials.add_certificate(actor=office.support, client_id=None, pkcs12_data=p12)
    with db.session_scope() as session:
        assert session.exec(select(func.count()).select_from(Credential)).one() == 1


# --- Hypothesis: anything at all is refused cleanly -------------------------------------------------------------

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def xml_like() -> st.SearchStrategy[bytes]:
    """Bytes near FA(3): the sample cut, spliced, re-encoded, with a DTD or junk inserted."""
    base = invoice("5265877635")
    cut = st.tuples(st.integers(0, len(base)), st.integers(0, len(base))).map(
        lambda ab: base[: min(ab)] + base[max(ab) :]
    )
    spliced = st.tuples(st.integers(0, len(base)), st.binary(max_size=64)).map(
        lambda p: base[: p[0]] + p[1] + base[p[0] :]
    )
    encoded = st.sampled_from(["utf-16", "utf-32", "cp1250", "latin-1"]).map(
        lambda e: base.decode().encode(e, errors="replace")
    )
    dtd = st.sampled_from([XXE, EXTERNAL_DTD, BILLION_LAUGHS]).map(str.encode)
    return st.one_of(st.binary(max_size=2048), cut, spliced, encoded, dtd)


@FUZZ
@given(data=xml_like())
def test_fuzz_fa3_files_only_ever_refused_with_sentences(data):
    try:
        check_invoice(data)
    except InvoiceFileError as error:
        assert error.problems and all(isinstance(p, str) and p for p in error.problems)


@FUZZ
@given(raw=st.text(max_size=120))
def test_fuzz_company_keys(raw):
    try:
        parse_company_key(raw)
    except CompanyKeyError as error:
        _one_sentence(error)


@FUZZ
@given(
    certificate=st.one_of(st.none(), st.binary(max_size=600)),
    key=st.one_of(st.none(), st.binary(max_size=600)),
    p12=st.one_of(st.none(), st.binary(max_size=600)),
    password=st.one_of(st.none(), st.text(max_size=8)),
)
def test_fuzz_certificate_files(certificate, key, p12, password):
    with pytest.raises(CertificateFileError):
        load_bundle(certificate=certificate, private_key=key, pkcs12_data=p12, password=password)


@FUZZ
@given(content=st.one_of(st.binary(max_size=1024), st.text(max_size=300).map(lambda t: t.encode("utf-16-le"))),
       name=st.sampled_from(["k.csv", "k.xlsx", "k.txt", "k", "k.pdf"]))  # fmt: skip
def test_fuzz_imports_read_or_refuse(content, name):
    try:
        rows = importer.read_table(name, content)
        importer.check_rows(rows, existing={}, default_environment=KsefEnvironment.SIM)
    except InvalidInput as error:
        assert error.problems


def test_fuzz_tokens_ids_and_files_on_the_services(office):
    """Services with arbitrary ids, tokens and files: only ServiceError, and nothing half-written."""
    client_id, nip = _client(office, 40)
    tried = run_service_fuzz(office, client_id, nip)
    assert tried >= 150


def run_service_fuzz(office, client_id: int, nip: str, examples: int = 60) -> int:
    """Arbitrary ids, tokens and invoice files through the services; returns how many inputs were tried."""
    tried = 0
    counts = _row_counts()

    @settings(max_examples=examples, deadline=None, database=None)
    @given(any_id=st.one_of(st.integers(), st.integers(-(2**70), 2**70)))
    def ids(any_id: int) -> None:
        nonlocal tried
        tried += 1
        from core.services.invoices import invoice_xml
        from core.services.problems import get_problem

        for call in (
            lambda: links.verify_link(actor=office.support, client_id=any_id),
            lambda: credentials.revoke_credential(actor=office.support, credential_id=any_id),
            lambda: invoice_xml(actor=office.analyst, invoice_id=any_id),
            lambda: get_problem(actor=office.analyst, problem_id=any_id),
        ):
            with pytest.raises(NotFound):
                call()

    @settings(max_examples=examples, deadline=None, database=None)
    @given(token=st.text(max_size=200))
    def tokens(token: str) -> None:
        nonlocal tried
        tried += 1
        with pytest.raises(InvalidInput):
            credentials.add_ksef_token(actor=office.support, client_id=client_id, token=token)

    @settings(max_examples=examples, deadline=None, database=None)
    @given(files=st.lists(xml_like(), min_size=1, max_size=3))
    def invoices(files: list[bytes]) -> None:
        nonlocal tried
        tried += 1
        named = [(f"f{i}.xml", data) for i, data in enumerate(files)]
        batch = sending.queue_invoices(actor=office.support, client_id=client_id, files=named)
        assert len(batch.rejected) == len(files)  # none of them is a whole FA(3) of this seller

    ids()
    tokens()
    invoices()
    assert _row_counts() == counts
    return tried


def _row_counts() -> tuple[int, ...]:
    from sqlmodel import SQLModel

    with db.session_scope() as session:
        return tuple(
            session.exec(select(func.count()).select_from(t)).one()
            for t in SQLModel.metadata.sorted_tables
            if t.name not in ("audit_event",)
        )
