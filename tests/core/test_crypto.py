import os
import stat

import pytest

from core import crypto
from core.crypto import Keyring, MasterKeyError, SecretDecryptionError, binding
from core.settings import reload_settings


def test_round_trip_with_the_row_as_associated_data():
    keyring = Keyring.from_text(crypto.new_key())
    blob = keyring.encrypt(b"token-secret", binding("credential", 7, "secret"))
    assert b"token-secret" not in blob
    assert keyring.decrypt(blob, binding("credential", 7, "secret")) == b"token-secret"


def test_a_wrong_key_fails_loudly():
    blob = Keyring.from_text(crypto.new_key()).encrypt(b"s", binding("credential", 1, "secret"))
    with pytest.raises(SecretDecryptionError, match="kluczem, którego nie ma"):
        Keyring.from_text(crypto.new_key()).decrypt(blob, binding("credential", 1, "secret"))


def test_a_tampered_ciphertext_fails_loudly():
    keyring = Keyring.from_text(crypto.new_key())
    blob = bytearray(keyring.encrypt(b"secret", binding("credential", 1, "secret")))
    blob[-1] ^= 0x01
    with pytest.raises(SecretDecryptionError, match="zmieniony albo przeniesiony"):
        keyring.decrypt(bytes(blob), binding("credential", 1, "secret"))


@pytest.mark.parametrize(
    "other", [("credential", 2, "secret"), ("ksef_session", 1, "secret"), ("credential", 1, "refresh")]
)
def test_a_ciphertext_moved_to_another_row_or_column_fails_loudly(other):
    keyring = Keyring.from_text(crypto.new_key())
    blob = keyring.encrypt(b"secret", binding("credential", 1, "secret"))
    with pytest.raises(SecretDecryptionError):
        keyring.decrypt(blob, binding(*other))


def test_garbage_is_refused():
    with pytest.raises(SecretDecryptionError, match="nieznany format"):
        Keyring.from_text(crypto.new_key()).decrypt(b"plain text", binding("credential", 1, "secret"))


def test_rotation_keeps_old_ciphertexts_readable_until_re_encrypted():
    old, new = crypto.new_key(), crypto.new_key()
    aad = binding("credential", 3, "secret")
    blob = Keyring.from_text(old).encrypt(b"v", aad)
    rotated = Keyring.from_text(f"{new},{old}")
    assert rotated.decrypt(blob, aad) == b"v"
    assert rotated.needs_rotation(blob)
    assert not rotated.needs_rotation(rotated.encrypt(b"v", aad))


def test_bad_master_keys_are_refused():
    with pytest.raises(MasterKeyError):
        Keyring.from_text("")
    with pytest.raises(MasterKeyError, match="32 bajty"):
        Keyring.from_text("c2hvcnQ=")


def test_embedded_key_file_is_created_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.setenv("KSEF_CONSOLE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("KSEF_CONSOLE_MASTER_KEY", raising=False)
    settings = reload_settings()
    first = crypto.load_keyring()
    assert stat.S_IMODE(os.stat(settings.key_file).st_mode) == 0o600
    assert crypto.load_keyring() == first


def test_environment_key_wins_and_no_file_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv("KSEF_CONSOLE_DATA_DIR", str(tmp_path))
    key = crypto.new_key()
    monkeypatch.setenv("KSEF_CONSOLE_MASTER_KEY", key)
    settings = reload_settings()
    assert crypto.load_keyring() == Keyring.from_text(key)
    assert not settings.key_file.exists()
    reload_settings()
