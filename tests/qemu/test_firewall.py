"""Access lists on the booted image (issue 15): over the forwarded HTTPS port the admin comes
from QEMU's gateway (10.0.2.2); a change that would cut that address off is refused with the
reason, a forced one really drops the forwarded HTTPS (the guest's nftables) and comes back by
itself when nobody confirms it, and an unconfirmed change that keeps the admin is rolled back
too. The guest's lists are as they were after each test."""

from __future__ import annotations

import time
from typing import Any

import pytest

from testbed.vm import Vm
from tests.qemu.test_boot import PASSWORD

pytestmark = pytest.mark.qemu

FIREWALL = "/api/v1/firewall"
ADMIN_ADDRESS = "10.0.2.2"  # QEMU's user network: every forwarded connection comes from it
CONFIRM_SECONDS = 5
ROLLBACK_WAIT_SECONDS = 90.0
DROPPED_TIMEOUT_SECONDS = 4.0  # a dropped SYN: the request gives up after this


def _firewall(vm: Vm) -> dict[str, Any]:
    code, state = vm.api("GET", FIREWALL, PASSWORD)
    assert code == 200, state
    return dict(state)


def _answers(vm: Vm) -> bool:
    try:
        return vm.api("GET", "/api/v1/status", PASSWORD, timeout=DROPPED_TIMEOUT_SECONDS)[0] == 200
    except OSError:  # the SYN dropped: a timeout
        return False


def _rolled_back(vm: Vm) -> dict[str, Any]:
    deadline = time.monotonic() + ROLLBACK_WAIT_SECONDS
    while time.monotonic() < deadline:
        if _answers(vm):
            state = _firewall(vm)
            if state["pending"] is None:
                return state
        time.sleep(1)
    raise AssertionError(f"the change was not rolled back within {ROLLBACK_WAIT_SECONDS} s")


def test_a_change_that_would_cut_off_the_admins_address_is_refused(vm: Vm) -> None:
    before = _firewall(vm)
    assert before["services"]["admin"]["allow"] is None  # the default: everyone
    code, answer = vm.api("POST", FIREWALL, PASSWORD, {"allow": {"admin": ["192.0.2.0/24"]}})
    assert code == 409, answer
    assert f"lock you out ({ADMIN_ADDRESS} is not in the admin list)" in answer["error"]
    after = _firewall(vm)
    assert after["services"] == before["services"] and after["pending"] is None


def test_a_forced_lock_out_drops_https_then_comes_back_unconfirmed(vm: Vm) -> None:
    change = {"allow": {"admin": ["192.0.2.0/24"]}, "force": True,
              "confirm_seconds": CONFIRM_SECONDS}  # fmt: skip
    code, answer = vm.api("POST", FIREWALL, PASSWORD, change)
    assert code == 200, answer
    assert not _answers(vm)  # the guest's nftables drops the forwarded HTTPS now
    state = _rolled_back(vm)
    assert state["services"]["admin"]["allow"] is None
    code, audit = vm.api("GET", "/api/v1/audit", PASSWORD)
    assert code == 200
    assert "firewall.rollback" in [entry["change"] for entry in audit]


def test_an_unconfirmed_change_that_keeps_the_admin_is_rolled_back_too(vm: Vm) -> None:
    change = {"allow": {"admin": ["10.0.2.0/24"]}, "confirm_seconds": CONFIRM_SECONDS}
    code, state = vm.api("POST", FIREWALL, PASSWORD, change)
    assert code == 200, state
    assert state["pending"]["confirm_within_seconds"] > 0
    assert _answers(vm)  # the admin's network is in the list
    assert _rolled_back(vm)["services"]["admin"]["allow"] is None
