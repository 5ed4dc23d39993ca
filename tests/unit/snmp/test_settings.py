"""SNMP settings (orpheus.snmp.settings): merge rules, masked secrets, checks, the stored file."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from orpheus.snmp import settings
from orpheus.snmp.settings import (
    MASK,
    Community,
    Receiver,
    SettingsError,
    SnmpSettings,
    User,
    merge,
)

NMS = {"name": "nms", "auth_password": "auth-secret", "priv_password": "priv-secret"}
BASE = merge(
    SnmpSettings(),
    {
        "contact": "NOC",
        "location": "Rack 3",
        "communities": [{"name": "monitor", "sources": ["10.0.0.0/8"]}],
        "users": [NMS],
        "receivers": [{"host": "10.0.0.6", "user": "nms"}],
    },
)


def test_merge_replaces_only_the_given_keys() -> None:
    changed = merge(BASE, {"location": "Rack 4"})
    assert changed.location == "Rack 4"
    assert (changed.contact, changed.communities, changed.users, changed.receivers) == (
        BASE.contact, BASE.communities, BASE.users, BASE.receivers,
    )  # fmt: skip
    assert BASE.location == "Rack 3"  # settings are values: the current ones stay as they were


def test_each_list_replaces_the_whole_list() -> None:
    changed = merge(BASE, {"communities": [{"name": "ops", "sources": ["192.168.1.7"]}]})
    assert changed.communities == (Community("ops", ("192.168.1.7/32",)),)
    assert merge(BASE, {"communities": []}).communities == ()


def test_networks_are_normalised() -> None:
    changed = merge(BASE, {"communities": [{"name": "c", "sources": ["10.1.2.3/8", "::1"]}]})
    assert changed.communities[0].sources == ("10.0.0.0/8", "::1/128")


def test_a_masked_or_missing_password_keeps_the_stored_one() -> None:
    for user in ({"name": "nms", "auth_password": MASK, "priv_password": MASK}, {"name": "nms"}):
        changed = merge(BASE, {"users": [user]})
        assert changed.users == (User("nms", "auth-secret", "priv-secret"),)
    new_auth = {**NMS, "auth_password": "new-auth-secret", "priv_password": MASK}
    changed = merge(BASE, {"users": [new_auth]})
    assert changed.users == (User("nms", "new-auth-secret", "priv-secret"),)


def test_a_new_user_needs_its_passwords() -> None:
    with pytest.raises(SettingsError, match="auth password of 'ops' must be at least 8"):
        merge(BASE, {"users": [NMS, {"name": "ops", "priv_password": "priv-secret"}]})
    with pytest.raises(SettingsError, match="privacy password of 'ops' must be 8 to 64"):
        merge(BASE, {"users": [{"name": "ops", "auth_password": "12345678",
                                "priv_password": "with space"}]})  # fmt: skip


def test_public_masks_the_v3_secrets_only() -> None:
    public = BASE.public()
    assert list(public["users"]) == [{"name": "nms", "auth_password": MASK, "priv_password": MASK}]
    assert json.loads(json.dumps(public["communities"])) == [
        {"name": "monitor", "sources": ["10.0.0.0/8"]}
    ]
    assert "extra" not in public
    assert BASE.users[0].auth_password == "auth-secret"


def test_receivers_are_checked_against_the_users() -> None:
    with pytest.raises(SettingsError, match="receiver user 'ops' is not a configured v3 user"):
        merge(BASE, {"receivers": [{"host": "10.0.0.7", "user": "ops"}]})
    # Removing the user a receiver uses is refused too: the receivers are checked again.
    with pytest.raises(SettingsError, match="receiver user 'nms'"):
        merge(BASE, {"users": []})
    both = merge(BASE, {"users": [], "receivers": [{"host": "h", "community": "traps"}]})
    assert both.receivers == (Receiver("h", 162, "traps", None),)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"colour": "red"}, "unknown SNMP setting(s): colour"),
        ({"contact": 'say "hi"'}, "contact must not contain quotes"),
        ({"contact": "line\nbreak"}, "contact must be printable text"),
        ({"location": "x" * 256}, "location must be printable text of at most 255"),
        ({"communities": {"name": "c"}}, "communities must be a list"),
        ({"communities": ["public"]}, "each community must be an object"),
        ({"communities": [{"name": "bad name", "sources": ["10.0.0.0/8"]}]},
         "invalid community name"),
        ({"communities": [{"name": "c", "sources": []}]}, "needs at least one source network"),
        ({"communities": [{"name": "c", "sources": ["10.0.0.0/33"]}]}, "invalid source network"),
        ({"communities": [{"name": "c", "sources": ["10.0.0.1"]},
                          {"name": "c", "sources": ["10.0.0.2"]}]}, "community 'c' is given twice"),
        ({"users": [NMS, NMS]}, "v3 user 'nms' is given twice"),
        ({"users": ["nms"]}, "each v3 user must be an object"),
        ({"receivers": [{"host": "bad host!", "community": "c"}]}, "each receiver needs a host"),
        ({"receivers": [{"host": "h", "port": 0, "community": "c"}]}, "invalid receiver port 0"),
        ({"receivers": [{"host": "h", "port": "162", "community": "c"}]}, "invalid receiver port"),
        ({"receivers": [{"host": "h"}]}, "either a community (v2c) or a v3 user"),
        ({"receivers": [{"host": "h", "community": "c", "user": "nms"}]}, "not both"),
        ({"storage_full_percent": 0},
         "storage_full_percent must be a whole number from 1 to 100"),
        ({"storage_full_percent": 50.5}, "storage_full_percent"),
        ({"license_warning_days": 366},
         "license_warning_days must be a whole number from 1 to 365"),
    ],
)  # fmt: skip
def test_bad_settings_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError) as refused:
        merge(BASE, changes)
    assert message in str(refused.value)


def test_thresholds() -> None:
    assert (SnmpSettings().storage_full_percent, SnmpSettings().license_warning_days) == (90, 30)
    changed = merge(BASE, {"storage_full_percent": 100, "license_warning_days": 1})
    assert (changed.storage_full_percent, changed.license_warning_days) == (100, 1)


def test_save_and_load_round_trip_in_a_root_only_file(tmp_path: Path) -> None:
    path = tmp_path / "snmp.json"
    assert settings.load(path) == SnmpSettings()  # nothing stored yet: the defaults
    settings.save(path, BASE)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert stored["users"][0]["auth_password"] == "auth-secret"  # the file holds the secrets
    assert "extra" not in stored
    assert settings.load(path) == BASE


def test_a_stored_file_with_bad_settings_is_refused_on_load(tmp_path: Path) -> None:
    path = tmp_path / "snmp.json"
    path.write_text(json.dumps({"communities": [{"name": "c", "sources": ["nowhere"]}]}))
    with pytest.raises(SettingsError, match="invalid source network"):
        settings.load(path)


def test_a_new_v3_user_cannot_take_the_mask_as_its_password() -> None:
    from orpheus.snmp.settings import MASK, SettingsError, SnmpSettings, merge

    user = {"name": "nms", "auth_password": MASK, "priv_password": "privpass123"}
    with pytest.raises(SettingsError, match="give its passwords, not the mask"):
        merge(SnmpSettings(), {"users": [user]})
