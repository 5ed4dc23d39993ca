"""The user store: the admin migrated from the single password, levels and their rules, the
last administrator kept, hashed passwords and tokens, revocation on changes."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from orpheus.auth import PasswordStore
from orpheus.users.levels import ADMINISTRATOR, LevelRefused
from orpheus.users.store import Conflict, NotFound, UserStore

ADMIN_PASSWORD = "orpheus-test-pw"
ALICE_PASSWORD = "tangerine-kayak-91"


@pytest.fixture
def store(tmp_path: Path) -> UserStore:
    passwords = PasswordStore(tmp_path)
    passwords.set(ADMIN_PASSWORD)
    return UserStore(passwords)


def test_the_admin_is_an_administrator_with_its_password_store(store: UserStore) -> None:
    assert [u["name"] for u in store.users()] == ["admin"]
    account = store.account("admin")
    assert account is not None and account.level == ADMINISTRATOR
    assert account.rights["firmware"] == "change"
    assert store.check_password("admin", ADMIN_PASSWORD)
    assert not store.check_password("admin", "wrong-password")
    assert not store.path.exists()  # nothing written until something changes


def test_a_first_boot_password_must_be_changed(tmp_path: Path) -> None:
    passwords = PasswordStore(tmp_path)
    passwords.set_random()
    store = UserStore(passwords)
    account = store.account("admin")
    assert account is not None and account.must_change_password
    store.set_user("admin", password="a-brand-new-secret", own=True)
    account = store.account("admin")
    assert account is not None and not account.must_change_password
    assert passwords.check("admin", "a-brand-new-secret")


def test_users_and_levels_are_stored_root_only_with_hashed_passwords(store: UserStore) -> None:
    store.add_level("pbx-only", {"pbx": "change", "dashboard": "read"})
    store.add_user("alice", ALICE_PASSWORD, "pbx-only")
    text = store.path.read_text()
    assert ALICE_PASSWORD not in text and "scrypt$" in text
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    again = UserStore(store.passwords)
    account = again.account("alice")
    assert account is not None and account.rights["pbx"] == "change"
    assert account.rights["firmware"] == "none"
    assert account.must_change_password  # set by an admin
    assert again.check_password("alice", ALICE_PASSWORD)


@pytest.mark.parametrize("name", ["bad\nname", "Alice", "1st", "a" * 40, "x;y", ""])
def test_names_with_newlines_or_odd_characters_are_refused(store: UserStore, name: str) -> None:
    with pytest.raises(LevelRefused):
        store.add_level(name, {})
    with pytest.raises(LevelRefused):
        store.add_user(name, ALICE_PASSWORD, ADMINISTRATOR)
    assert [u["name"] for u in store.users()] == ["admin"]


def test_weak_and_short_passwords_are_refused_with_the_reason(store: UserStore) -> None:
    with pytest.raises(LevelRefused, match="zxcvbn score"):
        store.add_user("alice", "password1", ADMINISTRATOR)
    with pytest.raises(LevelRefused, match="too short"):
        store.add_user("alice", "Zq9!", ADMINISTRATOR)
    with pytest.raises(LevelRefused, match="zxcvbn score"):
        store.set_user("admin", password="secret-pass")
    assert store.check_password("admin", ADMIN_PASSWORD)


def test_the_administrator_level_is_built_in(store: UserStore) -> None:
    with pytest.raises(Conflict):
        store.set_level(ADMINISTRATOR, {})
    with pytest.raises(Conflict):
        store.delete_level(ADMINISTRATOR)
    with pytest.raises(Conflict):
        store.add_level(ADMINISTRATOR, {})
    with pytest.raises(LevelRefused, match="unknown area"):
        store.add_level("odd", {"root": "change"})
    with pytest.raises(LevelRefused, match="right"):
        store.add_level("odd", {"pbx": "all"})


def test_the_last_enabled_administrator_stays(store: UserStore) -> None:
    store.add_level("viewer", {"dashboard": "read"})
    with pytest.raises(Conflict, match="no enabled administrator"):
        store.set_user("admin", enabled=False)
    with pytest.raises(Conflict):
        store.set_user("admin", level="viewer")
    with pytest.raises(Conflict):
        store.delete_user("admin")
    store.add_user("bob", ALICE_PASSWORD, ADMINISTRATOR)
    store.set_user("admin", enabled=False)  # bob is left
    with pytest.raises(Conflict, match="no enabled administrator"):
        store.delete_user("bob")
    with pytest.raises(Conflict, match="no enabled administrator"):
        store.set_user("bob", level="viewer")
    assert store.user("bob")["level"] == ADMINISTRATOR  # nothing changed on refusal
    assert json.loads(store.path.read_text())["users"]["bob"]["level"] == ADMINISTRATOR


def test_a_level_in_use_is_not_deleted(store: UserStore) -> None:
    store.add_level("viewer", {"dashboard": "read"})
    store.add_user("carol", ALICE_PASSWORD, "viewer")
    with pytest.raises(Conflict, match="in use by carol"):
        store.delete_level("viewer")
    store.delete_user("carol")
    store.delete_level("viewer")
    with pytest.raises(NotFound):
        store.level("viewer")


def test_changes_revoke_the_users_sessions(store: UserStore) -> None:
    revoked: list[str] = []
    store.on_revoke(revoked.append)
    store.add_level("viewer", {"dashboard": "read"})
    store.add_user("dave", ALICE_PASSWORD, ADMINISTRATOR)
    store.set_user("dave", level="viewer")
    store.set_user("dave", enabled=False)
    store.set_user("dave", enabled=False)  # no change, no revocation
    store.set_user("dave", password="another-long-secret")
    store.delete_user("dave")
    assert revoked == ["dave"] * 4
    assert store.account("dave") is None


def test_a_disabled_user_cannot_log_in(store: UserStore) -> None:
    store.add_user("erin", ALICE_PASSWORD, ADMINISTRATOR)
    store.set_user("erin", enabled=False)
    assert not store.check_password("erin", ALICE_PASSWORD)
    assert store.account("erin") is None


def test_tokens_are_shown_once_and_stored_hashed(store: UserStore) -> None:
    created = store.add_token("admin", "monitoring")
    secret = created["token"]
    assert secret.startswith("orp_") and len(secret) > 40
    assert secret not in store.path.read_text()
    assert store.token_owner(secret) == ("admin", "monitoring")
    assert "token" not in store.tokens("admin")[0]
    with pytest.raises(Conflict):
        store.add_token("admin", "monitoring")
    store.delete_token("admin", "monitoring")
    assert store.token_owner(secret) is None
    with pytest.raises(NotFound):
        store.delete_token("admin", "monitoring")


def test_a_long_password_is_scored_on_its_first_64_characters(store: UserStore) -> None:
    store.add_user("long", "k" + "9Zq!x" * 25, ADMINISTRATOR)  # 126 characters
    assert store.check_password("long", "k" + "9Zq!x" * 25)
