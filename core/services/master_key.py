"""Master key rotation: a new key first, every secret re-encrypted with it, then the old key dropped."""

from __future__ import annotations

from sqlmodel import SQLModel, select

from core import audit
from core.crypto import add_key_to_file, drop_old_keys_from_file, load_keyring
from core.db import session_scope
from core.security import Actor, Permission
from core.settings import get_settings
from core.vault import SECRET_COLUMNS, seal, unseal


def _model(table: str) -> type[SQLModel]:
    for mapper in SQLModel.registry.mappers:
        if getattr(mapper.class_, "__tablename__", None) == table:
            return mapper.class_
    raise LookupError(table)


def rotate_master_key(*, actor: Actor) -> dict[str, int]:
    """With the embedded key file a new key is generated here; with KSEF_CONSOLE_MASTER_KEY put the new key first."""
    actor.require(Permission.manage_settings)
    settings = get_settings()
    embedded = not settings.master_key
    if embedded:
        add_key_to_file(settings.key_file)
    keyring = load_keyring()
    count = 0
    with session_scope(write=True) as session:
        for table, column in SECRET_COLUMNS:
            model = _model(table)
            for row in session.exec(select(model).where(getattr(model, column).is_not(None))).all():
                if keyring.needs_rotation(getattr(row, column)):
                    seal(row, column, unseal(row, column, keyring), keyring)
                    session.add(row)
                    count += 1
        audit.record(session, actor, "keys.rotate", re_encrypted=count)
    if embedded:
        drop_old_keys_from_file(settings.key_file)
    return {"re_encrypted": count}
