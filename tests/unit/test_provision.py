"""First boot: the factory's admin password credential, or a random one, never a crash."""

from __future__ import annotations

from pathlib import Path

from orpheus import provision
from orpheus.auth import PasswordStore


def _credentials(tmp_path: Path, password: str) -> Path:
    directory = tmp_path / "credentials"
    directory.mkdir(parents=True)
    (directory / provision.ADMIN_PASSWORD).write_text(password)
    return directory


def test_a_usable_credential_is_the_admin_password(tmp_path: Path) -> None:
    store = PasswordStore(tmp_path / "state")
    provision.provision_admin_password(store, _credentials(tmp_path, "factory-pass-1"))
    assert store.check("admin", "factory-pass-1")
    assert not store.initial_file.exists() and provision.alarms(store) == []


def test_a_short_credential_falls_back_to_a_random_password_with_an_alarm(tmp_path: Path) -> None:
    store = PasswordStore(tmp_path / "state")
    provision.provision_admin_password(store, _credentials(tmp_path, "short"))  # no raise
    random = store.initial_file.read_text().strip()
    assert store.check("admin", random) and not store.check("admin", "short")
    [alarm] = provision.alarms(store)
    assert "refused" in alarm and "at least 8" in alarm and "\n" not in alarm
    provision.provision_admin_password(store, _credentials(tmp_path / "again", "short"))
    assert store.check("admin", random)  # a later boot changes nothing
    store.set("the-admins-own")
    assert provision.alarms(store) == []


def test_the_factory_password_must_be_changed_at_the_first_log_in(tmp_path: Path) -> None:
    store = PasswordStore(tmp_path / "state")
    provision.provision_admin_password(store, _credentials(tmp_path, "factory-pass-1"))
    assert store.must_change()
    store.set("the-admins-own")
    assert not store.must_change()


def test_a_weak_credential_falls_back_to_a_random_password_with_the_reason(
    tmp_path: Path,
) -> None:
    store = PasswordStore(tmp_path / "state")
    provision.provision_admin_password(store, _credentials(tmp_path, "password1"))
    assert not store.check("admin", "password1") and store.must_change()
    [alarm] = provision.alarms(store)
    assert "zxcvbn score" in alarm and "\n" not in alarm
