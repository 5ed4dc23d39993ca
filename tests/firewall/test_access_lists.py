"""Access lists against the real agent and real nftables in the unit's namespace: a client
from an allowed network reaches the API and one from another does not; a change that would
lock the admin out is refused with nothing applied; a change not confirmed comes back out by
itself; bad networks are refused in one line."""

from __future__ import annotations

import ipaddress
import subprocess

import pytest

from testbed.firewall_lab import Peer
from testbed.pbx_unit import HTTP_PORT, HTTPS_PORT
from testbed.polling import wait_for
from tests.firewall.conftest import FIREWALL, PASSWORD, USER, Lab

pytestmark = pytest.mark.rootfs
STATUS = "/api/v1/status"


def _reaches(peer: Peer) -> bool:
    status, _ = peer.http("GET", STATUS, user=USER, password=PASSWORD)
    return status == 200


def test_the_defaults_open_admin_sip_rtp_and_keep_the_rest_local(fresh: Lab) -> None:
    status, state = fresh.admin.http("GET", FIREWALL, user=USER, password=PASSWORD)
    assert status == 200, state
    services = state["services"]
    assert [services[name]["allow"] for name in ("admin", "sip", "rtp")] == [None] * 3
    assert [services[name]["allow"] for name in ("ssh", "ami", "snmp")] == [["local"]] * 3
    assert services["ha"]["allow"] == ["peer"] and state["peer"] is None  # not paired
    # both peers' links are the unit's own networks
    assert {"10.77.1.0/24", "10.77.2.0/24", "127.0.0.0/8"} <= set(state["local"])
    assert services["ssh"]["networks"] == services["ha"]["networks"] == state["local"]
    assert fresh.other.http("GET", STATUS, user=USER, password=PASSWORD)[0] == 200


def test_local_follows_a_new_address_of_the_unit(fresh: Lab) -> None:
    netns = fresh.unit.agent.netns
    subprocess.run(["ip", "-n", netns, "addr", "add", "198.51.100.1/24", "dev", "lo"], check=True)
    try:
        # no change asked: the agent's address watch applies the lists again by itself, well
        # before its 30 s poll would
        wait_for("the new local network",
                 lambda: "198.51.100.0/24" in fresh.console("GET", FIREWALL)[1]["local"],
                 timeout=10, interval=0.2)  # fmt: skip
        assert "198.51.100.0/24" in _nft(fresh, "list", "set", "inet", "orpheus", "snmp_v4")
    finally:
        subprocess.run(["ip", "-n", netns, "addr", "del", "198.51.100.1/24", "dev", "lo"],
                       check=True)  # fmt: skip
    wait_for("the network gone again",
             lambda: "198.51.100.0/24" not in fresh.console("GET", FIREWALL)[1]["local"],
             timeout=10, interval=0.2)  # fmt: skip


def _nft(lab: Lab, *args: str) -> str:
    return subprocess.run(
        ["ip", "netns", "exec", lab.unit.agent.netns, "nft", *args],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def test_an_allowed_network_reaches_the_api_and_another_does_not(fresh: Lab) -> None:
    change = {"allow": {"admin": ["10.77.1.0/24"]}}
    status, state = fresh.admin.http("POST", FIREWALL, change, user=USER, password=PASSWORD)
    assert status == 200, state
    assert state["mode"] == "restricted" and state["pending"]["confirm_within_seconds"] > 0
    assert fresh.admin.http("GET", STATUS, user=USER, password=PASSWORD)[0] == 200
    status, error = fresh.other.http("GET", STATUS, user=USER, password=PASSWORD)
    assert status is None, error  # dropped: the connection times out
    confirmed, _ = fresh.admin.http("POST", f"{FIREWALL}/confirm", {}, user=USER, password=PASSWORD)
    assert confirmed == 200
    status, state = fresh.console("GET", FIREWALL)
    assert state["pending"] is None and state["confirmed"]["allow"]["admin"] == ["10.77.1.0/24"]
    ruleset = subprocess.run(
        ["ip", "netns", "exec", fresh.unit.agent.netns, "nft", "list", "table", "inet", "orpheus"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "10.77.1.0/24" in ruleset
    # the admin list guards HTTPS as well as HTTP (testbed/pbx_unit.py's ports)
    assert f"{{ {HTTP_PORT}, {HTTPS_PORT} }}" in ruleset


def test_a_change_that_would_lock_out_the_admin_is_refused(fresh: Lab) -> None:
    change = {"allow": {"admin": ["10.77.2.0/24"]}}
    status, answer = fresh.admin.http("POST", FIREWALL, change, user=USER, password=PASSWORD)
    assert status == 409, answer
    assert "lock you out (10.77.1.2 is not in the admin list)" in answer["error"]
    assert "\n" not in answer["error"]
    _, state = fresh.console("GET", FIREWALL)
    assert state["services"]["admin"]["allow"] is None and state["pending"] is None
    assert fresh.admin.http("GET", STATUS, user=USER, password=PASSWORD)[0] == 200


def test_a_forced_lock_out_is_rolled_back_unless_confirmed(fresh: Lab) -> None:
    change = {"allow": {"admin": ["10.77.2.0/24"]}, "force": True, "confirm_seconds": 3}
    status, answer = fresh.admin.http("POST", FIREWALL, change, user=USER, password=PASSWORD)
    assert status == 200, answer
    status, error = fresh.admin.http("GET", STATUS, user=USER, password=PASSWORD)
    assert status is None, error  # locked out, as forced: nobody confirms from here
    wait_for("the rollback", lambda: _reaches(fresh.admin), timeout=60, interval=0.5)
    _, state = fresh.console("GET", FIREWALL)
    assert state["services"]["admin"]["allow"] is None and state["pending"] is None
    _, audit = fresh.console("GET", "/api/v1/audit")
    changes = [entry["change"] for entry in audit]
    assert "firewall.rollback" in changes and "firewall.change" in changes


def test_orpheusctl_allows_shows_and_confirms(fresh: Lab) -> None:
    ctl = fresh.unit.agent.ctl
    result = ctl("firewall", "allow", "ssh", "10.77.1.0/24", "2001:db8::/32")
    assert result.returncode == 0, result.stderr
    shown = ctl("firewall", "show").stdout
    assert "local, 10.77.1.0/24, 2001:db8::/32" in shown and "waiting for confirmation" in shown
    assert ctl("firewall", "confirm").returncode == 0
    assert ctl("firewall", "deny", "ssh", "2001:db8::/32").returncode == 0
    assert ctl("firewall", "confirm").returncode == 0
    _, state = fresh.console("GET", FIREWALL)
    assert state["services"]["ssh"]["allow"] == ["local", "10.77.1.0/24"]
    refused = ctl("firewall", "confirm")
    assert refused.returncode == 1 and "no change is waiting" in refused.stderr


@pytest.mark.parametrize(
    "network",
    ["10.77.1.0/24\n", "10.77.1.0/24\nflush ruleset", "fe80::1%eth0", "10.77.1.5/24", "nope"],
)
def test_a_bad_network_is_refused_in_one_line_and_nothing_changes(fresh: Lab, network: str) -> None:
    status, answer = fresh.console("POST", FIREWALL, {"allow": {"admin": [network]}})
    assert status == 400, answer
    assert "\n" not in answer["error"]
    _, state = fresh.console("GET", FIREWALL)
    assert state["services"]["admin"]["allow"] is None and state["pending"] is None


def test_ten_thousand_networks_are_refused(fresh: Lab) -> None:
    many = [str(ipaddress.ip_address("10.0.0.0") + i) for i in range(10_000)]
    status, answer = fresh.console("POST", FIREWALL, {"allow": {"sip": many}})
    assert status == 400, answer
    _, state = fresh.console("GET", FIREWALL)
    assert state["services"]["admin"]["allow"] is None
