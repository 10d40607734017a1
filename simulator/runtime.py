"""The running simulator: persisted state plus what is rebuilt at start (clock, indexes, limiter, stats, caches)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from cryptography import x509

from simulator import crypto
from simulator.errors import ApiError
from simulator.invoices import InvoiceIndex
from simulator.ratelimit import RateLimiter
from simulator.state import Context, PublicKey, SimState
from simulator.stats import Stats
from simulator.timeutil import Clock, epoch_ms, iso

KEY_USAGES = ("KsefTokenEncryption", "SymmetricKeyEncryption")
CHALLENGE_SECONDS = 600  # PROTOCOL.md §4.1: a challenge lives 10 minutes


@dataclass(frozen=True)
class Incident:
    """An unexpected exception answered with 500: a simulator bug, reported by /_sim/health."""

    at: datetime  # wall clock: the simulated one may be what failed
    method: str
    path: str
    error: str


@dataclass
class Challenge:
    value: str
    timestamp: datetime
    timestamp_ms: int
    client_ip: str
    used: bool = False


def _hex(length: int) -> str:
    return secrets.token_hex(length // 2 + 1).upper()[:length]


class Simulator:
    def __init__(self, state: SimState | None = None) -> None:
        self.state = state or SimState()
        self.clock = Clock(self.state.clock_offset_seconds)
        self.limiter = RateLimiter()
        self.stats = Stats()
        self.invoice_index = InvoiceIndex(self.state.invoices)
        self.challenges: dict[str, Challenge] = {}
        self.recording = False  # /_sim/requests: every /v2 request goes to `recorded` while on
        self.recorded: list[dict[str, Any]] = []
        self.batch_parts: dict[str, dict[int, bytes]] = {}  # transient: uploaded batch parts until close
        self.exports: dict[str, Any] = {}  # transient: rebuilt packages are cheap and live at most 7 days
        self.query_snapshots: dict[tuple[str, str], Any] = {}  # metadata query snapshots, see invoicequery
        self.revision = 0  # bumped by every change; persistence saves when it moved
        self.unexpected_errors = 0  # since start or reset
        self.last_incident: Incident | None = None
        self._ensure_crypto()

    # --- bookkeeping ------------------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock.now()

    def touch(self) -> None:
        self.revision += 1

    def set_clock_offset(self, seconds: float) -> None:
        self.clock.offset_seconds = seconds
        self.state.clock_offset_seconds = seconds
        self.touch()

    def record_incident(self, method: str, path: str, error: BaseException) -> None:
        self.unexpected_errors += 1
        self.last_incident = Incident(datetime.now(UTC), method, path, f"{type(error).__name__}: {error}"[:300])

    def health(self) -> dict[str, Any]:
        """`ok`, or `broken` with the reasons; nothing here may raise, since it reports on what does."""
        problems = []
        try:
            iso(self.now())
        except (OverflowError, ValueError) as error:
            problems.append(f"Zegar symulatora nie podaje czasu (przesunięcie {self.clock.offset_seconds} s): {error}.")
        if self.unexpected_errors:
            problems.append(f"Od startu lub resetu {self.unexpected_errors} żądań skończyło się nieoczekiwanym błędem.")
        incident = self.last_incident
        return {
            "status": "broken" if problems else "ok",
            "problems": problems,
            "unexpectedErrors": self.unexpected_errors,
            "lastUnexpectedError": None
            if incident is None
            else {"at": iso(incident.at), "method": incident.method, "path": incident.path, "error": incident.error},
        }

    def reset(self) -> None:
        """Forget everything except the keys and the CA, so certificates handed out earlier stay verifiable."""
        keep = (self.state.secret, self.state.ca_key_pem, self.state.ca_certificate_der, self.state.public_keys)
        self.state = SimState(secret=keep[0], ca_key_pem=keep[1], ca_certificate_der=keep[2], public_keys=keep[3])
        self.clock.offset_seconds = 0.0
        self.limiter.reset()
        self.stats.reset()
        self.invoice_index = InvoiceIndex(self.state.invoices)
        self.challenges.clear()
        self.exports.clear()
        self.batch_parts.clear()
        self.query_snapshots.clear()
        self.unexpected_errors, self.last_incident = 0, None
        self.__dict__.pop("ca_certificate", None)
        self.touch()

    def reference_number(self, infix: str) -> str:
        """`YYYYMMDD-XX-HHHHHHHHHH-HHHHHHHHHH-HH`, the 36-character ReferenceNumber of the spec."""
        return f"{self.now():%Y%m%d}-{infix}-{_hex(10)}-{_hex(10)}-{_hex(2)}"

    def new_challenge(self, client_ip: str) -> Challenge:
        now = self.now()
        # Expired challenges are dropped here, on the only path that adds new ones.
        horizon = now - timedelta(seconds=CHALLENGE_SECONDS)
        for value in [v for v, c in self.challenges.items() if c.timestamp < horizon]:
            del self.challenges[value]
        challenge = Challenge(self.reference_number("CR"), now, epoch_ms(now), client_ip)
        self.challenges[challenge.value] = challenge
        return challenge

    def take_challenge(self, value: str) -> Challenge:
        """One-shot use of a live challenge; 21111 otherwise."""
        challenge = self.challenges.get(value)
        if challenge is None or challenge.used:
            raise ApiError(21111, f"Wyzwanie {value} nie istnieje lub zostało już użyte.")
        if self.now() - challenge.timestamp > timedelta(seconds=CHALLENGE_SECONDS):
            raise ApiError(21111, f"Wyzwanie {value} wygasło.")
        challenge.used = True
        return challenge

    def context(self, nip: str, name: str | None = None) -> Context:
        """The context for a NIP, created on first use (on KSeF TEST any NIP can be used)."""
        existing = self.state.contexts.get(nip)
        if existing is None:
            existing = Context(nip=nip, name=name or f"Podmiot {nip}", created=self.now())
            self.state.contexts[nip] = existing
            self.touch()
        elif name and existing.name.startswith("Podmiot "):
            existing.name = name
        return existing

    # --- keys -------------------------------------------------------------------------------------------------

    def _ensure_crypto(self) -> None:
        now = self.now()
        if not self.state.ca_key_pem:
            certificate, key_pem = crypto.make_ca(now)
            self.state.ca_key_pem = key_pem
            self.state.ca_certificate_der = certificate.public_bytes(crypto.serialization.Encoding.DER)
        if not any(not key.retired for key in self.state.public_keys):
            self._add_public_keys(now)

    def _add_public_keys(self, now: datetime) -> None:
        for usage in KEY_USAGES:  # two different keys, one per usage (PROTOCOL.md §3.1)
            certificate, key_pem = crypto.make_mf_key(usage, now)
            der = certificate.public_bytes(crypto.serialization.Encoding.DER)
            self.state.public_keys.append(
                PublicKey(
                    usage=[usage],
                    certificate_der=der,
                    private_key_pem=key_pem,
                    certificate_id=crypto.sha256_b64(der),
                    public_key_id=crypto.public_key_id(certificate),
                    valid_from=certificate.not_valid_before_utc,
                    valid_to=certificate.not_valid_after_utc,
                )
            )

    def rotate_keys(self) -> list[str]:
        """Emergency rotation: old keys vanish at once, their publicKeyId now gives 21470. Returns the old ids."""
        old = [key.public_key_id for key in self.state.public_keys if not key.retired]
        for key in self.state.public_keys:
            key.retired = True
        self._add_public_keys(self.now())
        self.touch()
        return old

    def active_keys(self) -> list[PublicKey]:
        return [key for key in self.state.public_keys if not key.retired]

    def key_for(self, usage: str, public_key_id: str | None) -> PublicKey:
        """The key a client says it used (21470 if unknown or retired), or the current key for the usage."""
        candidates = [key for key in self.active_keys() if usage in key.usage]
        if public_key_id:
            for key in candidates:
                if key.public_key_id == public_key_id:
                    return key
            raise ApiError(21470, f"Klucz o identyfikatorze {public_key_id} nie jest wspierany.")
        return max(candidates, key=lambda key: key.valid_from)

    def symmetric_key(self, encryption: dict[str, Any]) -> tuple[bytes | None, bytes]:
        """(AES key, IV) from an EncryptionInfo; the key is None when it cannot be decrypted (status 415 later).

        Malformed Base64 or an IV that is not 16 bytes is bad input (21405); an unknown publicKeyId is 21470.
        """
        record = self.key_for("SymmetricKeyEncryption", encryption.get("publicKeyId"))
        try:
            iv = crypto.b64decode_strict(encryption["initializationVector"])
            encrypted_key = crypto.b64decode_strict(encryption["encryptedSymmetricKey"])
        except ValueError:
            raise ApiError(21405, "encryption: wartości muszą być poprawnym Base64.") from None
        if len(iv) != 16:
            raise ApiError(21405, "encryption.initializationVector: wymagane 16 bajtów.")
        try:
            key = crypto.rsa_oaep_decrypt(record.private_key_pem, encrypted_key)
        except ValueError:
            return None, iv
        return (key if len(key) == 32 else None), iv  # AES-256 only

    @cached_property
    def ca_certificate(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.state.ca_certificate_der)
