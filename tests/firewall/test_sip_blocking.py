"""SIP attackers against the real agent, Asterisk and nftables: REGISTERs with a wrong
password from the other network are blocked after the 5th failure (the address in the block
set, its time left listed), while a phone on the admin's network keeps registering; the
block holds with the agent stopped; it is removable; trusted networks are never blocked."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from testbed.pbx_unit import add_extension
from testbed.polling import wait_for
from tests.firewall.conftest import FIREWALL, Lab

pytestmark = pytest.mark.rootfs
FAILURES = 5  # the default policy: 5 in 60 s
WRONG = "wrong-Pass-1"


@pytest.fixture(scope="module")
def extensions(lab: Lab) -> Lab:
    for number in ("101", "102"):
        add_extension(lab.unit, number)
    return lab


def _blocked(lab: Lab) -> list[dict[str, Any]]:
    status, answer = lab.console("GET", f"{FIREWALL}/blocked")
    assert status == 200, answer
    return answer["blocked"]  # type: ignore[no-any-return]


def _blocking(lab: Lab) -> dict[str, Any]:
    return lab.console("GET", FIREWALL)[1]["blocking"]  # type: ignore[no-any-return]


def _nft_block_set(lab: Lab) -> str:
    return subprocess.run(
        ["ip", "netns", "exec", lab.unit.agent.netns, "nft", "list", "set", "inet", "orpheus",
         "blocked_v4"], capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def _attack(lab: Lab, workdir: Any, times: int) -> None:
    for attempt in range(times):
        assert not lab.other.register(workdir, f"attack-{attempt}", "101", WRONG)


def test_a_brute_force_is_blocked_and_a_good_phone_keeps_registering(
    fresh: Lab, extensions: Lab
) -> None:
    workdir = fresh.unit.agent.workdir
    wait_for("the security events", lambda: _blocking(fresh)["reading_events"], timeout=60)
    assert fresh.admin.register(workdir, "phone-before", "102")
    seen = _blocking(fresh)["failures_seen"]
    _attack(fresh, workdir, FAILURES - 1)
    assert _blocked(fresh) == []  # not yet
    _attack(fresh, workdir, 1)
    entries = wait_for("the block", lambda: _blocked(fresh), timeout=30)
    assert [e["address"] for e in entries] == [fresh.other.address]
    assert 0 < entries[0]["expires_in_seconds"] <= 3600
    assert _blocking(fresh)["failures_seen"] == seen + FAILURES
    # dropped: even the right password does not reach Asterisk from there, the API neither
    assert not fresh.other.register(workdir, "attacker-right", "101")
    assert fresh.other.http("GET", "/api/v1/status", user="x", password="y")[0] is None
    assert _blocking(fresh)["failures_seen"] == seen + FAILURES
    assert fresh.admin.register(workdir, "phone-after", "102")


def test_the_block_holds_with_the_agent_stopped_and_is_removable(
    fresh: Lab, extensions: Lab
) -> None:
    workdir = fresh.unit.agent.workdir
    wait_for("the security events", lambda: _blocking(fresh)["reading_events"], timeout=60)
    _attack(fresh, workdir, FAILURES)
    wait_for("the block", lambda: _blocked(fresh), timeout=30)
    fresh.unit.agent.stop()
    try:
        assert fresh.other.address in _nft_block_set(fresh)
        assert not fresh.other.register(workdir, "attacker-agentless", "101")
    finally:
        fresh.unit.agent.start()
    assert [e["address"] for e in _blocked(fresh)] == [fresh.other.address]
    status, answer = fresh.console("DELETE", f"{FIREWALL}/blocked/{fresh.other.address}", {})
    assert status == 200, answer
    assert _blocked(fresh) == []
    assert fresh.other.register(workdir, "attacker-forgiven", "101")
    status, answer = fresh.console("DELETE", f"{FIREWALL}/blocked/{fresh.other.address}", {})
    assert status == 404, answer
    _, audit = fresh.console("GET", "/api/v1/audit")
    assert "firewall.unblock" in [entry["change"] for entry in audit]


def test_a_trusted_network_is_never_blocked(fresh: Lab, extensions: Lab) -> None:
    workdir = fresh.unit.agent.workdir
    assert fresh.console("POST", FIREWALL, {"trusted": ["10.77.2.0/24"]})[0] == 200
    assert fresh.console("POST", f"{FIREWALL}/confirm", {})[0] == 200
    wait_for("the security events", lambda: _blocking(fresh)["reading_events"], timeout=60)
    seen = _blocking(fresh)["failures_seen"]
    _attack(fresh, workdir, FAILURES + 2)
    assert _blocked(fresh) == []
    assert fresh.other.register(workdir, "trusted-right", "101")
    assert _blocking(fresh)["failures_seen"] == seen  # trusted: not even counted


@pytest.mark.parametrize("address", ["10.77.2.2%0a", "fe80::1%25eth0", "not-an-address"])
def test_unblocking_a_bad_address_is_refused(fresh: Lab, address: str) -> None:
    status, answer = fresh.console("DELETE", f"{FIREWALL}/blocked/{address}", {})
    assert status in (400, 404), answer
    assert "\n" not in answer["error"]
