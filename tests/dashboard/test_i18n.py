"""Texts: Polish and English hold the same keys, every key the code asks for exists (the UI's and core's), Polish
plurals are right, core keeps no Polish sentence outside the catalogue, and errors render in either language."""

from __future__ import annotations

import ast
import re
import string

import pytest

from core.texts.en import TEXTS as EN
from core.texts.pl import TEXTS as PL
from dashboard.i18n import plural_form
from tests.dashboard.conftest import ROOT

LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z_]+(?:\.[a-z_]+)+)["']""")
CORE_KEY = re.compile(r"""\b(?:Text|render)\(\s*["']([a-z_]+(?:\.[A-Za-z0-9_]+)+)["']""")
CORE_DYNAMIC_KEY = re.compile(r"""\bText\(\s*f["']([^"']+)["']""")
PLURAL_KEY = re.compile(r"""\btn\(\s*["']([a-z_]+(?:\.[a-z_]+)+)["']""")


def ui_sources() -> str:
    files = [*(ROOT / "dashboard").rglob("*.py"), *(ROOT / "pages").glob("*.py")]
    return "\n".join(path.read_text(encoding="utf-8") for path in files)


def test_english_and_polish_have_the_same_keys():
    assert set(PL) == set(EN)


def test_the_same_placeholders_in_both_languages():
    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    assert {key: fields(text) for key, text in PL.items()} == {key: fields(text) for key, text in EN.items()}


def test_every_key_used_in_the_code_exists():
    source = ui_sources()
    used = set(LITERAL_KEY.findall(source))
    used |= {f"{key}.{form}" for key in PLURAL_KEY.findall(source) for form in ("one", "few", "many")}
    assert used, "the pattern finds the keys"
    assert sorted(used - set(PL)) == []


@pytest.mark.parametrize(
    ("count", "form"),
    [(1, "one"), (2, "few"), (4, "few"), (5, "many"), (12, "many"), (14, "many"), (22, "few"), (25, "many")],
)
def test_polish_plural_forms(count, form):
    assert plural_form(count, "pl") == form


def test_english_has_one_and_many():
    assert [plural_form(n, "en") for n in (1, 2, 5)] == ["one", "many", "many"]


def test_every_link_status_role_and_page_has_a_text():
    from core.types import LinkStatus, Role
    from dashboard.nav import PAGES

    needed = {f"link_status.{s}" for s in LinkStatus} | {f"role.{r}" for r in Role} | {p.title_key for p in PAGES}
    assert sorted(needed - set(PL)) == []


# --- core: the catalogue, the keys core asks for, no Polish outside the catalogue --------------------------------

CORE = ROOT / "core"
POLISH_LETTERS = re.compile("[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]")
# Polish that is data, not a sentence for a person: kept where it is.
POLISH_DATA = {
    ("core/formatting.py", "zł"),  # the currency symbol of amounts
    ("core/services/linking/rehearsal.py", "Pieczęć testowa "),  # the subject of the simulator's test seal
    ("core/demo/office.py", "Dział Wsparcia"),  # a demo user's full name
    ("core/demo/clientside.py", "Księgowość "),  # the demo client user's full name
    ("core/demo/clientside.py", "Sprzedaż"),  # the name of the demo client's program
}


def core_sources() -> dict[str, str]:
    return {
        path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
        for path in CORE.rglob("*.py")
        if "texts" not in path.relative_to(CORE).parts
    }


def string_literals(source: str) -> list[str]:
    """Every string literal except docstrings (comments are not literals)."""
    tree = ast.parse(source)
    docstrings = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            docstrings.add(id(first.value))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_core_keeps_no_polish_sentence_outside_the_catalogue():
    found = {
        (path, literal)
        for path, source in core_sources().items()
        for literal in string_literals(source)
        if POLISH_LETTERS.search(literal)
    }
    assert sorted(found - POLISH_DATA) == []
    assert found >= POLISH_DATA, "an allowed entry that no longer exists should leave the list"


def test_the_polish_check_sees_sentences_but_not_docstrings():
    source = '"""Moduł."""\n\ndef f():\n    """Funkcja."""\n    return "Błąd", f"Wynik {1}"  # komentarz\n'
    assert string_literals(source) == ["Błąd", "Wynik "]


def test_every_key_core_asks_for_exists():
    from core.invoice_xml import _SYNTAX, _TRANSLATIONS

    sources = "\n".join(core_sources().values()) + ui_sources()
    used = set(CORE_KEY.findall(sources)) | {key for _, key, _ in (*_TRANSLATIONS, *_SYNTAX)}
    assert len(used) > 200, "the pattern finds the keys"
    assert sorted(used - set(PL)) == []


def _dynamic_keys() -> dict[str, set[str]]:
    """Every key core builds from a code, by the f-string that builds it."""
    from core.ksef.errors import _AUTH_STATUS_TEXTS, CERTIFICATE_CODES
    from core.security import Permission
    from core.services.linking.selftest import STEPS
    from core.types import CredentialStatus, KsefEnvironment, NotificationKind, ProblemClass

    def expand(template: str, **choices) -> set[str]:
        ((name, values),) = choices.items()
        return {template.replace("{" + name + "}", str(value)) for value in values}

    return {
        "cli.clients.col.{name}": expand(
            "cli.clients.col.{name}", name=("id", "nip", "name", "environment", "status", "archived")
        ),
        "cli.invoices.col.{name}": expand(
            "cli.invoices.col.{name}",
            name=("ksef_number", "number", "date", "client", "subject_type", "status", "gross"),
        ),
        "cli.selftest.col.{name}": expand("cli.selftest.col.{name}", name=("step", "result", "ms", "description")),
        "cli.users.col.{name}": expand(
            "cli.users.col.{name}", name=("login", "role", "full_name", "email", "disabled")
        ),
        "ksef.auth_status.{code}": expand("ksef.auth_status.{code}", code=_AUTH_STATUS_TEXTS),
        "ksef.certificate.{code}": expand("ksef.certificate.{code}", code=CERTIFICATE_CODES),
        "ksef.network.{kind}": expand("ksef.network.{kind}", kind=("dns", "connect", "tls", "timeout", "dropped")),
        "permission.{permission}": expand("permission.{permission}", permission=Permission),
        "permission.{spec.permission}": expand("permission.{permission}", permission=Permission),
        "credential_status.{status}": expand("credential_status.{status}", status=CredentialStatus),
        "link.no_{kind}": expand("link.no_{kind}", kind=("token", "certificate")),
        "selftest.step.{step}": expand("selftest.step.{step}", step=STEPS),
        "mail.problem.{kind}.subject": expand(
            "mail.problem.{kind}.subject", kind=("auth_failed", "rights_missing", "sync_failing")
        ),
        "notification_kind.{kind}": expand("notification_kind.{kind}", kind=NotificationKind),
        "environment.{environment}": expand("environment.{environment}", environment=KsefEnvironment),
        "problem.{problem_class}.{part}": {
            f"problem.{c}.{part}" for c in ProblemClass for part in ("title", "cause", "fix")
        },
        "invitation.link_{state}": expand(
            "invitation.link_{state}", state=("unknown", "expired", "accepted", "revoked")
        ),
        "invitation.resend_{state}": expand("invitation.resend_{state}", state=("accepted", "revoked")),
        "client_access.{what}": expand(
            "client_access.{what}", what=("view_documents", "authenticate_link", "send_invoices")
        ),
    }


def test_every_key_core_builds_from_a_code_exists():
    dynamic = _dynamic_keys()
    templates = set(CORE_DYNAMIC_KEY.findall("\n".join(core_sources().values())))
    assert templates == set(dynamic), "a new f-string key: list what it expands to above"
    needed = set().union(*dynamic.values())
    needed |= {f"problem.closed.{code}" for code in ("superseded", "next_attempt_ok", "unlinked", "link_verified")}
    needed |= {f"ksef_permission.{p}" for p in ("InvoiceRead", "InvoiceWrite", "Introspection", "Owner")}
    assert sorted(needed - set(PL)) == []


def test_a_text_reads_polish_and_renders_english():
    from core.texts import Joined, Text, localise, render

    status = Text("credential_status.revoked")
    sentence = Text("permission.denied", role="support", permission=Text("permission.manage_users"))
    assert status == "unieważniony" and isinstance(status, str)
    assert sentence == "Rola support nie ma uprawnienia: zarządzanie użytkownikami"
    assert localise(sentence, "en") == "The role support lacks the permission: managing users"
    assert localise("plain data", "en") == "plain data"
    listed = Text("rights.missing", missing=Joined([Text("permission.view"), "x"], " + "))
    assert listed.render("en") == "Missing permissions: viewing + x."
    assert render("no.such.key", "en") == "no.such.key"


def test_a_text_survives_a_copy_and_a_pickle():
    import copy
    import pickle

    from core.texts import Text

    text = Text("ksef.unavailable", status=503)
    for again in (copy.deepcopy(text), pickle.loads(pickle.dumps(text))):
        assert again == text and again.render("en") == "KSeF is unavailable (HTTP 503)."


def test_every_error_is_a_service_error_that_speaks_both_languages():
    from core.crypto import Keyring, SecretError
    from core.errors import ExternalFailure, InvalidInput, ServiceError
    from core.ids import IdentifierError, validate_nip
    from core.invoice_xml import InvoiceFileError, check_invoice
    from core.ksef.errors import KsefFailure, classify
    from core.ksef.limiter import RateLimitWaitTooLong
    from core.services.certificates.files import CertificateFileError, load_bundle
    from core.services.notifications.smtp import MailError, SmtpConfig, send_mail

    assert issubclass(IdentifierError, InvalidInput) and issubclass(InvoiceFileError, InvalidInput)
    assert issubclass(CertificateFileError, InvalidInput) and issubclass(SecretError, ServiceError)
    assert issubclass(KsefFailure, ExternalFailure) and issubclass(MailError, ExternalFailure)
    assert issubclass(RateLimitWaitTooLong, KsefFailure)

    raised = []
    for call in (
        lambda: validate_nip("12345"),
        lambda: check_invoice(b"to nie jest XML"),
        lambda: load_bundle(certificate=None, private_key=None),
        lambda: Keyring.from_text(""),
        lambda: send_mail(SmtpConfig(host="", port=25, security="none", sender=""), ["a@b.pl"], "s", "b"),
    ):
        with pytest.raises(ServiceError) as error:
            call()
        raised.append(error.value)
    waited = classify(RateLimitWaitTooLong(130.0))
    assert waited.retry_after == 130.0 and waited.problem_class == "rate_limited"
    raised.append(waited)
    polish = [str(error) for error in raised]
    english = [" ".join(error.lines("en")) for error in raised]
    assert polish == [
        "NIP 12345 musi mieć 10 cyfr",
        "wiersz 1: plik nie jest poprawnym XML (brak znacznika początkowego: to nie jest XML)",
        "Wybierz plik certyfikatu.",
        "brak klucza głównego",
        "Serwer SMTP nie jest skonfigurowany (Ustawienia → Powiadomienia).",
        "Limit zapytań KSeF dla tego klienta jest wyczerpany; kolejna próba za 130 s.",
    ]
    assert english == [
        "NIP 12345 must have 10 digits",
        "line 1: the file is not valid XML (no start tag: this is not XML)",
        "Choose the certificate file.",
        "no master key",
        "The SMTP server is not set up (Settings → Notifications).",
        "The KSeF request limit for this client is used up; next attempt in 130 s.",
    ]
    assert all(not POLISH_LETTERS.search(line) for line in english)


def test_the_ui_shows_a_service_s_problems_in_the_session_s_language(monkeypatch):
    from core.errors import InvalidInput
    from core.models import ClientCreate
    from core.services.clients.register import check_client_fields
    from core.types import KsefEnvironment
    from dashboard import i18n
    from dashboard.components import errors

    _, problems = check_client_fields(
        ClientCreate(nip="1234567890", name="", email="zly-adres"), default_environment=KsefEnvironment.SIM
    )
    refused = InvalidInput(problems)
    monkeypatch.setattr(i18n, "language", lambda: "en")
    monkeypatch.setattr(errors, "language", lambda: "en")
    assert errors.error_lines(refused) == [
        "Please correct:",
        "- NIP 1234567890 has a wrong check digit",
        "- the company name is required",
        "- the e-mail address 'zly-adres' is not valid",
    ]
    monkeypatch.setattr(i18n, "language", lambda: "pl")
    monkeypatch.setattr(errors, "language", lambda: "pl")
    assert errors.error_lines(refused)[1:] == [
        "- NIP 1234567890 ma błędną sumę kontrolną",
        "- nazwa firmy jest wymagana",
        "- adres e-mail 'zly-adres' jest niepoprawny",
    ]
