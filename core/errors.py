"""The errors the console raises on purpose, one tree: whoever shows them catches `ServiceError` and nothing else.

    ServiceError                   a refusal or failure a person can act on (core/errors.py)
    ├── PermissionDenied           the role lacks the permission (core/security.py raises it)
    ├── NotFound                   no such client, invoice, problem, job…
    ├── Conflict                   the change clashes with what exists (a duplicate NIP, one's own role…)
    ├── AuthenticationFailed       sign-in refused (core/services/users.py)
    ├── NotLinked                  the client has no working way into its KSeF context
    ├── InvalidInput               bad input; `problems` lists every problem found
    │   ├── IdentifierError        core/ids.py: a malformed identifier
    │   │   ├── NipError           NipFormatError, NipChecksumError
    │   │   ├── PeselError         PeselFormatError, PeselDateError, PeselChecksumError
    │   │   ├── KsefNumberError    KsefNumberFormatError, KsefNumberChecksumError
    │   │   └── CompanyKeyError    CompanyKeyEmptyError, …PartsError, …AccountError, …CompanyIdError, …NipError
    │   ├── InvoiceFileError       core/invoice_xml.py: an invoice file KSeF would refuse
    │   └── CertificateFileError   core/services/certificates/files.py: NotACertificate, WrongPassword, KeyMismatch,
    │                              MissingPrivateKey, CertificateExpired, OfflineCertificateForAuthentication
    ├── SecretError                core/crypto.py: a secret cannot be opened
    │   ├── MasterKeyError         the master key is missing or malformed
    │   └── SecretDecryptionError  sealed with another key, altered, or moved to another row
    └── ExternalFailure            a system outside the console failed or refused
        ├── KsefFailure            core/ksef/errors.py: classified (problem_class) with KSeF's raw answer kept
        │   └── RateLimitWaitTooLong   core/ksef/limiter.py: our own limiter would wait too long
        └── MailError              core/services/notifications/smtp.py: the mail server refused or is not set up

The message is a catalogue `Text` (core/texts): a key with values. `str(error)` is the Polish sentence (the CLI, logs
and stored records speak Polish); `error.lines(lang)` renders it in the reader's language. Never a secret in it.
Subclasses live with their concept; this module imports nothing from services or ksef.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.texts import DEFAULT_LANGUAGE, localise


class ServiceError(Exception):
    """Base of every error raised on purpose; `message` is a `Text` (or, for data such as a server's answer, a str)."""

    message: str

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def lines(self, lang: str = DEFAULT_LANGUAGE) -> list[str]:
        """What to show, in `lang`: one line per problem."""
        return [localise(self.message, lang)]


class PermissionDenied(ServiceError):
    pass


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    pass


class AuthenticationFailed(ServiceError):
    pass


class NotLinked(ServiceError):
    """The operation needs a working way into the client's KSeF context and the client has none."""


class InvalidInput(ServiceError):
    """Bad input; `problems` lists every problem found, one sentence (a `Text`) each."""

    def __init__(self, problems: Sequence[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__(self.problems[0] if len(self.problems) == 1 else "; ".join(self.problems))

    def lines(self, lang: str = DEFAULT_LANGUAGE) -> list[str]:
        return [localise(problem, lang) for problem in self.problems]


class ExternalFailure(ServiceError):
    """A system outside the console (KSeF, the mail server) failed or refused; the message says why."""
