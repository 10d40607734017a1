"""Sealing secrets into their row's column, and opening them again (see core.crypto for the format)."""

from __future__ import annotations

from typing import Any

from sqlmodel import SQLModel

from core.crypto import Keyring, binding, decrypt_secret, encrypt_secret

# Every column that holds a secret; key rotation walks this list.
SECRET_COLUMNS: list[tuple[str, str]] = [
    ("credential", "secret_ciphertext"),
    ("ksef_session", "access_ciphertext"),
    ("ksef_session", "refresh_ciphertext"),
    ("smtp_settings", "password_ciphertext"),
    ("certificate_enrollment", "key_ciphertext"),  # a requested certificate's private key until it is retrieved
]


def _aad(row: SQLModel, column: str) -> bytes:
    table = getattr(row, "__tablename__", type(row).__name__.lower())
    return binding(str(table), getattr(row, "id", None), column)


def seal(row: SQLModel, column: str, plaintext: str | bytes, keyring: Keyring | None = None) -> None:
    """Encrypt `plaintext` into `row.column`; the row must have its id (flush a new row first)."""
    setattr(row, column, encrypt_secret(plaintext, _aad(row, column), keyring))


def unseal(row: SQLModel, column: str, keyring: Keyring | None = None) -> bytes:
    blob: Any = getattr(row, column)
    if blob is None:
        raise ValueError(f"{column} is empty")
    return decrypt_secret(blob, _aad(row, column), keyring)


def unseal_value(table: str, row_id: int, column: str, blob: bytes) -> str:
    """`unseal_text` for a value read without its table model (a hot path's Core query)."""
    return decrypt_secret(blob, binding(table, row_id, column)).decode()


def unseal_text(row: SQLModel, column: str, keyring: Keyring | None = None) -> str:
    return unseal(row, column, keyring).decode()
