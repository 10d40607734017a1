"""Master-key rotation (issue 10 #3): every secret of every kind re-encrypted, resumable, and a failed attempt leaves
the key file as it was — on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import SQLModel, select

from core import crypto, db
from core.cli import main
from core.crypto import SecretError
from core.models import CertificateEnrollment, ClientCreate, Credential, KsefSession, SmtpSettings
from core.services import master_key
from core.services.clients.register import add_client
from core.services.linking import credentials
from core.services.notifications.settings import update_smtp
from core.settings import get_settings
from core.types import CertificateType
from core.vault import SECRET_COLUMNS, seal, unseal
from tests.core.test_bad_input import SHAPED_TOKEN, certificate_files
from tests.factories import valid_nips

MARK = "SEKRET-ZNACZNIK"


@dataclass(frozen=True)
class Sealed:
    """(table, row id, column) → the plaintext sealed there."""

    plain: dict[tuple[str, int, str], bytes]


def secrets_of_every_kind(office, clients: int = 3) -> Sealed:
    """Per client a KSeF token, a certificate's private key and a KSeF session (access and refresh); the SMTP
    password: every column of SECRET_COLUMNS holds at least one secret."""
    for index, nip in enumerate(valid_nips(clients, seed=71)):
        client_id = add_client(actor=office.manager, data=ClientCreate(nip=nip, name=f"Klient {index}")).id
        token = credentials.add_ksef_token(
            actor=office.support, client_id=client_id, token=SHAPED_TOKEN.format(nip=nip)
        )
        pem, key_pem, _ = certificate_files(f"Osoba {index}")
        credentials.add_certificate(actor=office.support, client_id=client_id, certificate=pem, private_key=key_pem)
        with db.session_scope(write=True) as session:
            row = KsefSession(client_id=client_id, credential_id=token.id)
            session.add(row)
            session.flush()
            seal(row, "access_ciphertext", f"{MARK}-access-{index}")
            seal(row, "refresh_ciphertext", f"{MARK}-refresh-{index}")
            session.add(row)
            certificate = session.exec(
                select(Credential).where(Credential.client_id == client_id, Credential.id != token.id)
            ).one()
            enrollment = CertificateEnrollment(
                office_id=office.office_id, client_id=client_id, identity_credential_id=certificate.id,
                certificate_name=f"Wniosek {index}", certificate_type=CertificateType.Authentication,
            )  # fmt: skip
            session.add(enrollment)
            session.flush()
            seal(enrollment, "key_ciphertext", f"{MARK}-enrollment-key-{index}")
            session.add(enrollment)
    update_smtp(
        actor=office.manager, host="smtp.example.com", port=587, security="starttls", sender="biuro@example.com",
        username="biuro", password=f"{MARK}-smtp",
    )  # fmt: skip
    return Sealed(opened(crypto.load_keyring()))


def opened(keyring: crypto.Keyring) -> dict[tuple[str, int, str], bytes]:
    found = {}
    with db.session_scope() as session:
        for model, column in ((Credential, "secret_ciphertext"), (KsefSession, "access_ciphertext"),
                              (KsefSession, "refresh_ciphertext"), (SmtpSettings, "password_ciphertext"),
                              (CertificateEnrollment, "key_ciphertext")):  # fmt: skip
            for row in session.exec(select(model)).all():
                if getattr(row, column) is not None:
                    found[(model.__tablename__, row.id, column)] = unseal(row, column, keyring)
    return found


def key_file() -> str:
    return get_settings().key_file.read_text(encoding="ascii")


def test_every_secret_column_is_rotated():
    columns = {
        (table.name, column.name)
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        if column.name.endswith("_ciphertext")
    }
    assert columns == set(SECRET_COLUMNS)


def test_keys_rotate_re_encrypts_every_secret_of_every_kind(any_office, capsys):
    sealed = secrets_of_every_kind(any_office)
    assert {column for _, _, column in sealed.plain} == {column for _, column in SECRET_COLUMNS}
    old = crypto.load_keyring()
    assert main(["keys", "rotate", "--as", "kierownik", "--json"]) == 0, capsys.readouterr()
    new = crypto.load_keyring()
    assert len(new.keys) == 1 and new.primary != old.primary
    assert opened(new) == sealed.plain
    with pytest.raises(SecretError):
        opened(old)
    assert main(["keys", "rotate", "--as", "analityk", "--json"]) == 1  # a manager's act only
    capsys.readouterr()


def test_a_secret_that_cannot_be_opened_stops_rotation_and_leaves_the_key_file(any_office):
    secrets_of_every_kind(any_office, clients=1)
    before = key_file()
    with db.session_scope(write=True) as session:
        row = session.exec(select(SmtpSettings)).one()
        blob = bytearray(row.password_ciphertext or b"")
        blob[-1] ^= 1
        row.password_ciphertext = bytes(blob)
        session.add(row)
    for _ in range(3):
        with pytest.raises(SecretError):
            master_key.rotate_master_key(actor=any_office.manager)
        assert key_file() == before


def test_a_failure_before_anything_is_written_puts_the_key_file_back(any_office, monkeypatch):
    sealed = secrets_of_every_kind(any_office, clients=1)
    before = key_file()

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(master_key, "seal", broken)
    for _ in range(3):
        with pytest.raises(RuntimeError):
            master_key.rotate_master_key(actor=any_office.manager)
        assert key_file() == before
    monkeypatch.undo()
    assert opened(crypto.load_keyring()) == sealed.plain


def test_an_interrupted_rotation_resumes_with_the_same_new_key(any_office, monkeypatch):
    sealed = secrets_of_every_kind(any_office, clients=4)
    old = crypto.load_keyring()
    monkeypatch.setattr(master_key, "BATCH", 2)
    real, calls = master_key.seal, [0]

    def dies_midway(*args: object, **kwargs: object) -> None:
        calls[0] += 1
        if calls[0] == 5:
            raise KeyboardInterrupt  # a kill in the middle of the third batch
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(master_key, "seal", dies_midway)
    with pytest.raises(KeyboardInterrupt):
        master_key.rotate_master_key(actor=any_office.manager)
    interrupted = crypto.load_keyring()
    assert len(interrupted.keys) == 2 and interrupted.keys[1] == old.primary
    assert opened(interrupted) == sealed.plain  # half old, half new: all readable
    monkeypatch.setattr(master_key, "seal", real)
    master_key.rotate_master_key(actor=any_office.manager)
    done = crypto.load_keyring()
    assert done.keys == (interrupted.primary,)  # resumed with the key already in front: none appended
    assert opened(done) == sealed.plain


def test_with_the_environment_key_rotation_re_encrypts_and_writes_no_file(any_office, monkeypatch):
    from core.settings import reload_settings

    sealed = secrets_of_every_kind(any_office, clients=1)
    old = key_file().strip()
    get_settings().key_file.unlink()
    new = crypto.new_key()
    monkeypatch.setenv("KSEF_CONSOLE_MASTER_KEY", f"{new},{old}")
    reload_settings()
    result = master_key.rotate_master_key(actor=any_office.manager)
    assert result["re_encrypted"] == len(sealed.plain)
    assert not get_settings().key_file.exists()
    assert opened(crypto.Keyring.from_text(new)) == sealed.plain
