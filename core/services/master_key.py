"""Master key rotation: a new key first, every secret re-encrypted with it, then the old key dropped.

Safe to interrupt and to run again (issue 10 #3):
- every secret is opened with the current keys before anything changes: one that cannot be opened stops the
  rotation with the key file as it was;
- with the key file, a new key is put in front once; a file that already holds several keys is an interrupted
  rotation, and running again resumes it with the key already in front (no key is ever appended twice);
- secrets are re-encrypted in batches, each batch its own transaction, rows already under the first key skipped;
- if the attempt fails before any batch was written, the key file is put back exactly as it was;
- only when every secret is under the first key are the other keys dropped from the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapper
from sqlmodel import SQLModel, select
from sqlmodel.main import default_registry

from core import audit
from core.crypto import Keyring, add_key_to_file, drop_old_keys_from_file, load_keyring
from core.db import session_scope
from core.security import Actor, Permission
from core.settings import get_settings
from core.vault import SECRET_COLUMNS, seal, unseal

BATCH = 200  # rows re-encrypted per transaction: a crash loses at most one batch's work, never a secret


def _model(table: str) -> type[SQLModel]:
    for mapper in default_registry.mappers:
        assert isinstance(mapper, Mapper)
        if getattr(mapper.class_, "__tablename__", None) == table:
            model: type[SQLModel] = mapper.class_
            return model
    raise LookupError(table)


def _key(model: type[SQLModel]) -> Any:
    """The model's primary key column (every table with a secret has an integer `id`)."""
    return sa.inspect(model).primary_key[0]


def _ids(table: str, column: str) -> Iterator[tuple[type[SQLModel], str, list[int]]]:
    """Batches of the ids of the rows of `table` that hold a secret in `column`."""
    model = _model(table)
    with session_scope() as session:
        key = _key(model)
        ids = session.exec(select(key).where(getattr(model, column).is_not(None)).order_by(key)).all()
    for start in range(0, len(ids), BATCH):
        yield model, column, list(ids[start : start + BATCH])


def _rows(model: type[SQLModel], ids: list[int]) -> list[Any]:
    with session_scope() as session:
        return list(session.exec(select(model).where(_key(model).in_(ids))).all())


def check_every_secret_opens(keyring: Keyring) -> int:
    """Open every secret with `keyring`; raises the first SecretError (which names no secret). Returns the count."""
    count = 0
    for table, column in SECRET_COLUMNS:
        for model, _, ids in _ids(table, column):
            for row in _rows(model, ids):
                if getattr(row, column) is not None:
                    unseal(row, column, keyring)
                    count += 1
    return count


def _re_encrypt(keyring: Keyring, written: list[int]) -> int:
    """Re-seal, batch by batch, every secret not yet under the first key; `written[0]` counts committed rows."""
    count = 0
    for table, column in SECRET_COLUMNS:
        for model, _, ids in _ids(table, column):
            with session_scope(write=True) as session:
                rows = session.exec(select(model).where(_key(model).in_(ids))).all()
                for row in rows:
                    blob = getattr(row, column)
                    if blob is not None and keyring.needs_rotation(blob):
                        seal(row, column, unseal(row, column, keyring), keyring)
                        session.add(row)
                        count += 1
            written[0] = count
    return count


def _restore(path: Path, original: str) -> None:
    tmp = path.with_suffix(".restore")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(original)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


def rotate_master_key(*, actor: Actor) -> dict[str, int]:
    """With the embedded key file a new key is generated here; with KSEF_CONSOLE_MASTER_KEY put the new key first."""
    actor.require(Permission.manage_settings)
    settings = get_settings()
    embedded = not settings.master_key
    current = load_keyring()  # creates the key file on a fresh install, as every start does
    checked = check_every_secret_opens(current)
    original = settings.key_file.read_text(encoding="ascii") if embedded else ""
    added = embedded and len(current.keys) == 1  # several keys in the file: an interrupted rotation to resume
    if added:
        add_key_to_file(settings.key_file)
    keyring = load_keyring()
    written = [0]
    try:
        count = _re_encrypt(keyring, written)
    except BaseException:
        if added and written[0] == 0:  # nothing is sealed with the new key yet: the file goes back as it was
            _restore(settings.key_file, original)
        raise
    with session_scope(write=True) as session:
        audit.record(session, actor, "keys.rotate", re_encrypted=count, checked=checked, resumed=embedded and not added)
    if embedded:
        drop_old_keys_from_file(settings.key_file)
    return {"re_encrypted": count, "checked": checked}
