"""The admin password (orpheus.auth): scrypt hashes, weak passwords, the verified-password cache."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from orpheus import auth
from orpheus.auth import ADMIN_USER, PasswordStore, WeakPassword, hash_password, verify_password

RIGHT = "right-password"
OTHER = "other-password"


def test_a_hash_verifies_its_password_only() -> None:
    stored = hash_password(RIGHT)
    assert stored.startswith("scrypt$16384$8$1$")
    assert verify_password(RIGHT, stored)
    assert verify_password(RIGHT, stored + "\n")  # as read back from the file
    assert not verify_password(OTHER, stored)
    assert not verify_password("", stored)


def test_each_hash_has_its_own_salt() -> None:
    assert hash_password(RIGHT) != hash_password(RIGHT)
    salt = b"0123456789abcdef"
    assert hash_password(RIGHT, salt) == hash_password(RIGHT, salt)


@pytest.mark.parametrize(
    "stored",
    ["", "not a hash", "bcrypt$16384$8$1$c2FsdA==$ZGlnZXN0", "scrypt$16384$8$1$onlyfive"],
)
def test_a_malformed_or_foreign_hash_verifies_nothing(stored: str) -> None:
    assert not verify_password(RIGHT, stored)


def test_a_weak_password_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    store = PasswordStore(tmp_path)
    with pytest.raises(WeakPassword, match="at least 8 characters"):
        store.set("x" * (auth.MIN_PASSWORD_LENGTH - 1))
    assert not store.is_set()
    assert list(tmp_path.iterdir()) == []
    store.set("x" * auth.MIN_PASSWORD_LENGTH)
    assert store.is_set()


def test_the_hash_file_is_root_only_and_holds_no_password(tmp_path: Path) -> None:
    store = PasswordStore(tmp_path)
    store.set(RIGHT)
    assert stat.S_IMODE(store.hash_file.stat().st_mode) == 0o600
    text = store.hash_file.read_text()
    assert RIGHT not in text and verify_password(RIGHT, text)


def test_a_random_password_is_left_for_the_installer_until_it_is_changed(tmp_path: Path) -> None:
    store = PasswordStore(tmp_path)
    drawn = store.set_random()
    assert len(drawn) >= auth.MIN_PASSWORD_LENGTH
    assert store.initial_file.read_text() == drawn + "\n"
    assert stat.S_IMODE(store.initial_file.stat().st_mode) == 0o600
    assert store.check(ADMIN_USER, drawn)
    store.set(RIGHT)
    assert not store.initial_file.exists()
    assert not store.check(ADMIN_USER, drawn)


def test_only_the_admin_user_with_a_set_password_passes(tmp_path: Path) -> None:
    store = PasswordStore(tmp_path)
    assert not store.check(ADMIN_USER, RIGHT)  # no password set yet
    store.set(RIGHT)
    assert store.check(ADMIN_USER, RIGHT)
    assert not store.check("root", RIGHT)
    assert not store.check(ADMIN_USER, OTHER)


def _counting_verify(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The real verify_password, counted: shows when the cache spared the scrypt."""
    calls: list[str] = []
    real = auth.verify_password

    def counted(password: str, stored: str) -> bool:
        calls.append(password)
        return real(password, stored)

    monkeypatch.setattr(auth, "verify_password", counted)
    return calls


def test_a_verified_password_is_remembered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = PasswordStore(tmp_path)
    store.set(RIGHT)
    calls = _counting_verify(monkeypatch)
    assert store.check(ADMIN_USER, RIGHT)
    assert store.check(ADMIN_USER, RIGHT)
    assert calls == [RIGHT]


def test_a_wrong_password_is_refused_right_after_a_right_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = PasswordStore(tmp_path)
    store.set(RIGHT)
    calls = _counting_verify(monkeypatch)
    assert store.check(ADMIN_USER, RIGHT)
    assert not store.check(ADMIN_USER, OTHER)
    assert not store.check(ADMIN_USER, RIGHT + "x")
    assert calls == [RIGHT, OTHER, RIGHT + "x"]  # the cache never answers for another password
    assert store.check(ADMIN_USER, RIGHT)  # and a refusal did not drop the right one


def test_the_cache_is_invalidated_when_the_hash_changes(tmp_path: Path) -> None:
    store = PasswordStore(tmp_path)
    store.set(RIGHT)
    assert store.check(ADMIN_USER, RIGHT)
    store.set(OTHER)
    assert not store.check(ADMIN_USER, RIGHT)
    assert store.check(ADMIN_USER, OTHER)


def test_a_hash_replaced_behind_the_store_is_read_again(tmp_path: Path) -> None:
    """An HA peer's sync or a restore replaces the file without going through set()."""
    store = PasswordStore(tmp_path)
    store.set(RIGHT)
    assert store.check(ADMIN_USER, RIGHT)
    store.hash_file.write_text(hash_password(OTHER) + "\n")
    assert not store.check(ADMIN_USER, RIGHT)
    assert store.check(ADMIN_USER, OTHER)
    store.hash_file.unlink()
    assert not store.check(ADMIN_USER, OTHER)


def test_the_cache_key_is_per_store(tmp_path: Path) -> None:
    first, second = PasswordStore(tmp_path), PasswordStore(tmp_path)
    first.set(RIGHT)
    assert first.check(ADMIN_USER, RIGHT) and second.check(ADMIN_USER, RIGHT)
    assert first._key != second._key  # the remembered mark is useless outside its process


@pytest.mark.parametrize(
    "stored", ["scrypt$x$8$1$YQ==$YQ==", "scrypt$16384$8$1$a$b", "scrypt$3$8$1$YQ==$YQ=="]
)
def test_a_hash_of_the_right_shape_with_bad_fields_verifies_nothing(stored: str) -> None:
    assert not verify_password(RIGHT, stored)
