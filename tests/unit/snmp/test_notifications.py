"""Notification rules (orpheus.snmp.notifications): only transitions between two refreshes
make a notification, with the objects that describe them (tests/snmp/test_traps.py sends
them through snmpd to snmptrapd)."""

from __future__ import annotations

from typing import Any

import pytest

from orpheus.snmp.mib import OBJECTS
from orpheus.snmp.notifications import Thresholds, Values, due

LIMITS = Thresholds(storage_full_percent=90, license_warning_days=30)
LICENSE = {"tier": "mini", "add_ons": [], "support_days_left": 200,
           "limits": [{"index": 1, "resource": "calls", "limit": 10}]}  # fmt: skip


def _names(old: Values, new: Values) -> list[str]:
    return [n.name for n in due(old, new, LIMITS)]


def test_nothing_changed_or_first_refresh_is_silent() -> None:
    values: dict[str, Any] = {
        "ha": {"role": "master"},
        "license": LICENSE,
        "asterisk": {"up": False, "trunks": [{"index": 1, "name": "t1", "reachable": False}]},
        "update": {"last_result": "installed 1.2.0", "last_time": "t"},
    }
    assert _names(values, values) == []
    assert _names({}, values) == []  # a state the unit was in at start-up is not news


def test_ha_role_change() -> None:
    old, new = {"ha": {"role": "slave"}}, {"ha": {"role": "master", "peer_reachable": True}}
    (notification,) = due(old, new, LIMITS)
    assert notification.name == "orpheusHaRoleChanged"
    assert notification.varbinds[0].value == b"master"
    assert _names({"ha": {"role": None}}, new) == []  # unpaired before: no change of role


def test_asterisk_down_and_back_up() -> None:
    up, down = {"asterisk": {"up": True, "uptime": 5}}, {"asterisk": {"up": False}}
    assert _names(up, down) == ["orpheusAsteriskDown"]
    assert _names(down, up) == ["orpheusAsteriskBackUp"]
    assert _names({"asterisk": {}}, down) == []


def test_a_trunk_that_was_reachable_and_is_no_longer() -> None:
    def trunks(*reachable: bool) -> Values:
        rows = [{"index": i, "name": f"t{i}", "registered": False, "reachable": r}
                for i, r in enumerate(reachable, 1)]  # fmt: skip
        return {"asterisk": {"trunks": rows}}

    notifications = due(trunks(True, False, True), trunks(False, False, True), LIMITS)
    assert [n.name for n in notifications] == ["orpheusTrunkUnreachable"]
    name = notifications[0].varbinds[0]
    assert name.oid == (*OBJECTS, 4, 6, 1, 2, 1) and name.value == b"t1"
    assert _names(trunks(False), trunks(True)) == []


def test_storage_crossing_the_threshold_once() -> None:
    def used(percent: int) -> Values:
        row = {"index": 1, "name": "data", "total_bytes": 100, "free_bytes": 100 - percent}
        return {"storage": {"targets": [row]}}

    assert _names(used(89), used(90)) == ["orpheusStorageNearlyFull"]
    assert _names(used(90), used(95)) == []  # already over: no new notification
    assert _names(used(50), used(60)) == []
    unknown = {"storage": {"targets": [{"index": 1, "name": "data", "total_bytes": 0}]}}
    assert _names(unknown, used(99)) == []


@pytest.mark.parametrize(
    ("before", "after", "names"),
    [
        (31, 30, ["orpheusLicenseNearExpiry"]),
        (30, 29, []),
        (1, 0, ["orpheusLicenseExpired"]),
        (40, -1, ["orpheusLicenseExpired"]),
        (0, -1, []),
        (None, 10, []),
    ],
)
def test_update_support_running_out(before: int | None, after: int, names: list[str]) -> None:
    old = {"license": {**LICENSE, "support_days_left": before}}
    new = {"license": {**LICENSE, "support_days_left": after}}
    assert _names(old, new) == names


def test_a_licence_change_is_its_tier_add_ons_or_limits_not_its_usage() -> None:
    old = {"license": LICENSE}
    assert _names(old, {"license": {**LICENSE, "tier": "lite"}}) == ["orpheusLicenseChanged"]
    assert _names(old, {"license": {**LICENSE, "add_ons": ["cti_free"]}}) == [
        "orpheusLicenseChanged"
    ]
    more = [{"index": 1, "resource": "calls", "limit": 25}]
    assert _names(old, {"license": {**LICENSE, "limits": more}}) == ["orpheusLicenseChanged"]
    used = [{"index": 1, "resource": "calls", "limit": 10, "usage": 4}]
    assert _names(old, {"license": {**LICENSE, "limits": used}}) == []


def test_an_update_result_installed_or_rolled_back() -> None:
    old = {"update": {"last_result": "installed 1.1.0", "last_time": "t1"}}
    installed = {"update": {"last_result": "installed 1.2.0", "last_time": "t2"}}
    rolled = {"update": {"last_result": "Rolled back to 1.1.0", "last_time": "t3"}}
    assert _names(old, installed) == ["orpheusUpdateInstalled"]
    assert _names(installed, rolled) == ["orpheusUpdateRolledBack"]
    assert _names(installed, {"update": {"last_result": None}}) == []


def test_a_restored_fallback_once_when_its_restore_ends_good() -> None:
    restoring = {"update": {"fallback_state": "restoring", "fallback_time": "t1"}}
    good = {"update": {"fallback_state": "good", "fallback_time": "t2"}}
    failed = {"update": {"fallback_state": "failed", "fallback_time": "t3"}}
    assert _names(restoring, good) == ["orpheusFallbackRestored"]
    assert _names(good, good) == []  # the same restore, seen again
    assert _names(restoring, failed) == []
    assert _names({}, good) == []  # the state the agent started in: no transition


def test_each_notification_has_its_oid_under_the_notifications_arc() -> None:
    (notification,) = due({"asterisk": {"up": True}}, {"asterisk": {"up": False}}, LIMITS)
    assert notification.oid[: len(OBJECTS) - 1] == OBJECTS[:-1]
    assert notification.oid[len(OBJECTS) - 1] == 0  # ORPHEUS_ARC.0: the notifications
