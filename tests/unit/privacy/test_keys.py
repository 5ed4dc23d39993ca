"""The privacy key pair: made once, sealed with the password, resealed on a change."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from orpheus.privacy import age
from orpheus.privacy.keys import (
    SCRYPT_N,
    PasswordRefused,
    PasswordTooShort,
    PrivacyKeys,
    WrongPassword,
)

FIRST = "first privacy password"
SECOND = "second privacy password"
FAST = 2**10  # scrypt cost for the tests that are not about it


def test_first_password_makes_the_key_pair_and_stores_only_the_public_half_plainly(
    tmp_path: Path,
) -> None:
    keys = PrivacyKeys(tmp_path / "privacy-key.json")
    assert not keys.state().password_set and keys.recipient() is None
    state = keys.set_password(FIRST, None)
    assert state.password_set and state.recipient is not None
    identity = keys.identity(FIRST)
    assert keys.recipient() == age.public_of(identity)
    stored = keys.path.read_text()
    assert age.identity_text(identity) not in stored and identity.hex() not in stored
    assert stat.S_IMODE(keys.path.stat().st_mode) == 0o600
    assert json.loads(stored)["kdf"]["name"] == "scrypt"
    assert json.loads(stored)["kdf"]["n"] == SCRYPT_N


def test_a_change_reseals_the_same_key(tmp_path: Path) -> None:
    keys = PrivacyKeys(tmp_path / "privacy-key.json", FAST)
    keys.set_password(FIRST, None)
    identity, recipient = keys.identity(FIRST), keys.state().recipient
    sealed_before = json.loads(keys.path.read_text())["sealed_identity"]
    keys.set_password(SECOND, FIRST)
    assert keys.identity(SECOND) == identity and keys.state().recipient == recipient
    assert json.loads(keys.path.read_text())["sealed_identity"] != sealed_before
    with pytest.raises(WrongPassword):
        keys.identity(FIRST)


def test_refusals_change_nothing(tmp_path: Path) -> None:
    keys = PrivacyKeys(tmp_path / "privacy-key.json", FAST)
    with pytest.raises(PasswordTooShort):
        keys.set_password("short", None)
    assert not keys.path.exists()
    with pytest.raises(PasswordRefused):
        keys.set_password(FIRST, "an old one that never was")
    keys.set_password(FIRST, None)
    before = keys.path.read_bytes()
    with pytest.raises(PasswordRefused):
        keys.set_password(SECOND, None)  # a change needs the old password
    with pytest.raises(WrongPassword):
        keys.set_password(SECOND, "not the first password")
    assert keys.path.read_bytes() == before


def test_the_sealed_key_is_bound_to_its_recipient(tmp_path: Path) -> None:
    keys = PrivacyKeys(tmp_path / "privacy-key.json", FAST)
    keys.set_password(FIRST, None)
    stored = json.loads(keys.path.read_text())
    stored["recipient"] = age.recipient_text(age.public_of(age.generate_identity()))
    keys.path.write_text(json.dumps(stored))  # a swapped public key: recordings to another
    with pytest.raises(WrongPassword):
        keys.identity(FIRST)
