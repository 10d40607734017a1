"""Secrets at rest: AES-256-GCM with the owning row as associated data.

A ciphertext is `b"k1" || key id (4 bytes) || nonce (12) || AES-GCM(ciphertext+tag)`. The associated data names the
row and the column (`credential:17:secret`), so a ciphertext copied to another row does not decrypt. Keys come from
`KSEF_CONSOLE_MASTER_KEY` (comma-separated, the first one encrypts, all decrypt) or, for the embedded default, from a
key file generated on first start in the data folder with mode 0600. Rotation: put a new key first, re-encrypt every
secret (`ksef-console keys rotate`), then drop the old key.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.errors import ServiceError
from core.files import private_dir
from core.settings import get_settings
from core.texts import Text

MAGIC = b"k1"
_KEY_ID_LEN = 4
_NONCE_LEN = 12


class SecretError(ServiceError):
    """A secret could not be encrypted or decrypted; the message never contains the secret."""


class MasterKeyError(SecretError):
    pass


class SecretDecryptionError(SecretError):
    pass


def binding(table: str, row_id: int | None, column: str) -> bytes:
    if row_id is None:
        raise ValueError("a secret must be bound to a saved row (flush it first)")  # a bug, not a user's error
    return f"{table}:{row_id}:{column}".encode()


def new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _decode_key(text: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except ValueError:
        raise MasterKeyError(Text("secret.master_key_not_base64")) from None
    if len(key) != 32:
        raise MasterKeyError(Text("secret.master_key_length"))
    return key


def _key_id(key: bytes) -> bytes:
    return hashlib.sha256(b"ksef-console-key-id" + key).digest()[:_KEY_ID_LEN]


@dataclass(frozen=True)
class Keyring:
    keys: tuple[bytes, ...]

    @classmethod
    def from_text(cls, text: str) -> Keyring:
        parts = [p for p in text.replace("\n", ",").split(",") if p.strip()]
        if not parts:
            raise MasterKeyError(Text("secret.no_master_key"))
        return cls(tuple(_decode_key(p) for p in parts))

    @property
    def primary(self) -> bytes:
        return self.keys[0]

    def encrypt(self, plaintext: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(_NONCE_LEN)
        sealed = AESGCM(self.primary).encrypt(nonce, plaintext, aad)
        return MAGIC + _key_id(self.primary) + nonce + sealed

    def decrypt(self, blob: bytes, aad: bytes) -> bytes:
        if not blob or not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + _KEY_ID_LEN + _NONCE_LEN + 16:
            raise SecretDecryptionError(Text("secret.unknown_format"))
        key_id = blob[len(MAGIC) : len(MAGIC) + _KEY_ID_LEN]
        nonce = blob[len(MAGIC) + _KEY_ID_LEN : len(MAGIC) + _KEY_ID_LEN + _NONCE_LEN]
        sealed = blob[len(MAGIC) + _KEY_ID_LEN + _NONCE_LEN :]
        key = next((k for k in self.keys if _key_id(k) == key_id), None)
        if key is None:
            raise SecretDecryptionError(Text("secret.unknown_key"))
        try:
            return AESGCM(key).decrypt(nonce, sealed, aad)
        except InvalidTag:
            raise SecretDecryptionError(Text("secret.altered")) from None

    def needs_rotation(self, blob: bytes) -> bool:
        return blob[len(MAGIC) : len(MAGIC) + _KEY_ID_LEN] != _key_id(self.primary)


def _read_or_create_key_file(path: Path) -> str:
    if path.exists():
        return path.read_text(encoding="ascii")
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(new_key() + "\n")
    return path.read_text(encoding="ascii")


def load_keyring() -> Keyring:
    settings = get_settings()
    if settings.master_key:
        return Keyring.from_text(settings.master_key)
    return Keyring.from_text(_read_or_create_key_file(settings.key_file))


def encrypt_secret(plaintext: str | bytes, aad: bytes, keyring: Keyring | None = None) -> bytes:
    data = plaintext.encode() if isinstance(plaintext, str) else plaintext
    return (keyring or load_keyring()).encrypt(data, aad)


def decrypt_secret(blob: bytes, aad: bytes, keyring: Keyring | None = None) -> bytes:
    return (keyring or load_keyring()).decrypt(blob, aad)


def add_key_to_file(path: Path) -> None:
    """Embedded mode rotation, step 1: a new primary key in front of the existing ones."""
    existing = _read_or_create_key_file(path)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(new_key() + "\n" + existing)
    tmp.replace(path)


def drop_old_keys_from_file(path: Path) -> None:
    """Embedded mode rotation, last step: keep only the primary key."""
    primary = path.read_text(encoding="ascii").split()[0]
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(primary + "\n")
    tmp.replace(path)
