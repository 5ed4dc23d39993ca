"""The firewall's state machine against a recording stand-in for libnftables."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import pytest

from orpheus.config import AgentConfig
from orpheus.firewall.attackers import AttackerTracker, BlockPolicy
from orpheus.firewall.control import Firewall, Refused
from orpheus.firewall.lists import Whereabouts, parse_lists
from orpheus.firewall.local import interface_networks
from orpheus.firewall.networks import BadNetwork
from orpheus.firewall.nft import NftUnavailable
from orpheus.firewall.ruleset import Command
from orpheus.firewall.services import services
from testbed.polling import wait_for

ADMIN = ipaddress.ip_address("192.0.2.10")
OTHER = ipaddress.ip_address("198.51.100.20")


class Recorder:
    def __init__(self) -> None:
        self.batches: list[list[Command]] = []
        self.refuse = False

    def run(self, commands: list[Command]) -> dict[str, Any]:
        if self.refuse:
            raise NftUnavailable("nftables refused the change: test")
        self.batches.append(commands)
        return {}

    def admin_set(self) -> list[object]:
        """The elements the last full batch put into admin_v4."""
        return self.elements("admin_v4")

    def elements(self, name: str) -> list[object]:
        for command in self.batches[-1]:
            element = command.get("add", {}).get("element", {})
            if element.get("name") == name:
                return list(element["elem"])
        return []

    def set_elements(self, name: str) -> list[str]:
        """The last full batch's elements of set name as text (address or address/len)."""
        return [e if isinstance(e, str) else f"{e['prefix']['addr']}/{e['prefix']['len']}"
                for e in self.elements(name)]  # type: ignore[index]  # fmt: skip


@pytest.fixture
def nft() -> Recorder:
    return Recorder()


def _firewall(nft: Recorder, state: Path) -> Firewall:
    tracker = AttackerTracker(BlockPolicy(failures=2))
    firewall = Firewall(lambda: nft, services(AgentConfig()), state, tracker)
    firewall.start()
    return firewall


def test_start_without_saved_lists_applies_the_defaults(nft: Recorder, tmp_path: Path) -> None:
    firewall = _firewall(nft, tmp_path / "firewall.json")
    assert len(nft.batches) == 1 and firewall.applied is not None
    assert firewall.applied == parse_lists({}, firewall.services)
    assert sorted(firewall.applied.allow) == ["ami", "ha", "snmp", "ssh"]
    assert nft.set_elements("ssh_v4") == ["127.0.0.0/8"]  # no address known: loopback
    firewall.stop()


def test_local_follows_the_units_addresses(nft: Recorder, tmp_path: Path) -> None:
    """The QEMU guest (10.0.2.15/24 from QEMU's user networking) is reached by SSH and SNMP
    from 10.0.2.2: inside local, so the defaults keep the tests' way in open."""
    here = [Whereabouts()]
    firewall = Firewall(lambda: nft, services(AgentConfig()), tmp_path / "firewall.json",
                        AttackerTracker(BlockPolicy()), whereabouts=lambda: here[0])  # fmt: skip
    firewall.start()
    host = ipaddress.ip_address("10.0.2.2")
    assert not firewall.resolved.admits("ssh", host)
    assert not firewall.refresh()  # nothing changed: nothing applied again
    links = [{"ifname": "enp0s2", "addr_info": [{"local": "10.0.2.15", "prefixlen": 24},
                                                 {"local": "fec0::5054:ff:fe12:3456",
                                                  "prefixlen": 64}]}]  # fmt: skip
    here[0] = Whereabouts(interface_networks(links))
    assert firewall.refresh() and len(nft.batches) == 2
    for service in ("ssh", "snmp", "ami", "ha"):  # ha: not paired, so local
        assert firewall.resolved.admits(service, host)
        assert not firewall.resolved.admits(service, OTHER)
    assert firewall.resolved.admits("sip", OTHER)  # SIP, RTP and admin open to all
    assert nft.set_elements("ssh_v4") == ["10.0.2.0/24", "127.0.0.0/8"]
    assert nft.set_elements("ssh_v6") == ["::1", "fec0::/64"]
    firewall.stop()


def test_the_ha_list_is_the_peer_once_paired(nft: Recorder, tmp_path: Path) -> None:
    local = interface_networks([{"addr_info": [{"local": "192.0.2.1", "prefixlen": 24}]}])
    peer = (ipaddress.ip_network("192.0.2.2"),)
    firewall = Firewall(lambda: nft, services(AgentConfig()), tmp_path / "firewall.json",
                        AttackerTracker(BlockPolicy()),
                        whereabouts=lambda: Whereabouts(local, peer))  # fmt: skip
    firewall.start()
    assert firewall.resolved.admits("ha", ipaddress.ip_address("192.0.2.2"))
    assert not firewall.resolved.admits("ha", ipaddress.ip_address("192.0.2.3"))
    assert firewall.resolved.admits("ssh", ipaddress.ip_address("192.0.2.3"))
    firewall.stop()


def test_a_lock_out_through_local_is_refused(nft: Recorder, tmp_path: Path) -> None:
    firewall = _firewall(nft, tmp_path / "firewall.json")
    with pytest.raises(Refused, match="lock you out"):
        firewall.propose({"allow": {"admin": ["local"]}}, ADMIN, False, 60)
    firewall.stop()


def test_a_change_that_locks_out_the_admin_is_refused_and_nothing_applied(
    nft: Recorder, tmp_path: Path
) -> None:
    firewall = _firewall(nft, tmp_path / "firewall.json")
    with pytest.raises(Refused, match=r"lock you out \(192.0.2.10 is not in the admin list\)"):
        firewall.propose({"allow": {"admin": ["10.0.0.0/8"]}}, ADMIN, False, 60)
    assert len(nft.batches) == 1 and firewall.pending is None


def test_a_forced_lock_out_is_applied(nft: Recorder, tmp_path: Path) -> None:
    firewall = _firewall(nft, tmp_path / "firewall.json")
    firewall.propose({"allow": {"admin": ["10.0.0.0/8"]}}, ADMIN, True, 60)
    assert nft.admin_set() == [{"prefix": {"addr": "10.0.0.0", "len": 8}}]
    firewall.stop()


def test_a_bad_network_changes_nothing(nft: Recorder, tmp_path: Path) -> None:
    firewall = _firewall(nft, tmp_path / "firewall.json")
    with pytest.raises(BadNetwork):
        firewall.propose({"allow": {"admin": ["10.0.0.0/8\nflush ruleset"]}}, None, False, 60)
    assert len(nft.batches) == 1


def test_a_confirmed_change_is_saved_and_comes_back_at_start(nft: Recorder, tmp_path: Path) -> None:
    state = tmp_path / "firewall.json"
    firewall = _firewall(nft, state)
    firewall.propose({"allow": {"admin": ["192.0.2.0/24"]}}, ADMIN, False, 60)
    assert not state.exists()  # not before its confirmation
    firewall.confirm()
    saved = json.loads(state.read_text())["allow"]
    assert saved == {"admin": ["192.0.2.0/24"], "ami": ["local"], "ha": ["peer"],
                     "snmp": ["local"], "ssh": ["local"]}  # fmt: skip
    again = _firewall(nft, state)
    assert again.confirmed.allow and nft.admin_set() == [
        {"prefix": {"addr": "192.0.2.0", "len": 24}}
    ]


def test_an_unconfirmed_change_is_rolled_back(nft: Recorder, tmp_path: Path) -> None:
    rolled: list[object] = []
    firewall = _firewall(nft, tmp_path / "firewall.json")
    firewall.on_rollback = lambda new, old: rolled.append(new)
    firewall.propose({"allow": {"admin": ["192.0.2.0/24"]}}, ADMIN, False, 1)
    with pytest.raises(Refused, match="waiting for its confirmation"):
        firewall.propose({"allow": {}}, ADMIN, False, 1)
    wait_for("the rollback", lambda: firewall.pending is None, timeout=10, interval=0.05)
    assert rolled and nft.admin_set() == [] and firewall.applied == firewall.confirmed
    with pytest.raises(Refused, match="no change is waiting"):
        firewall.confirm()


def test_stopping_rolls_a_pending_change_back(nft: Recorder, tmp_path: Path) -> None:
    firewall = _firewall(nft, tmp_path / "firewall.json")
    firewall.propose({"allow": {"ssh": ["192.0.2.0/24"]}}, None, False, 60)
    firewall.stop()
    assert firewall.pending is None and firewall.applied == firewall.confirmed
    assert firewall.applied.allow["ssh"] == ("local",)


def test_nft_refusing_leaves_the_state_as_it_was(nft: Recorder, tmp_path: Path) -> None:
    firewall = _firewall(nft, tmp_path / "firewall.json")
    nft.refuse = True
    with pytest.raises(NftUnavailable):
        firewall.propose({"allow": {"ssh": ["192.0.2.0/24"]}}, None, False, 60)
    assert firewall.pending is None and firewall.applied == firewall.confirmed


def test_trusted_addresses_are_never_blocked(nft: Recorder, tmp_path: Path) -> None:
    firewall = _firewall(nft, tmp_path / "firewall.json")
    firewall.propose({"trusted": ["198.51.100.0/24"]}, None, False, 60)
    assert [firewall.failure(OTHER) for _ in range(5)] == [None] * 5
    attacker = ipaddress.ip_address("203.0.113.5")
    assert [firewall.failure(attacker) for _ in range(2)] == [None, 3600]
    assert "203.0.113.5" in json.dumps(nft.batches[-1])
    firewall.stop()


def test_counts_for_snmp(nft: Recorder, tmp_path: Path) -> None:
    firewall = _firewall(nft, tmp_path / "firewall.json")
    attacker = ipaddress.ip_address("203.0.113.5")
    assert [firewall.failure(attacker) for _ in range(2)] == [None, 3600]
    counts = firewall.counts()
    assert counts.blocks_made == 1 and counts.blocked == 0  # the recorder lists nothing
    nft.refuse = True
    assert firewall.counts().blocked is None  # unreadable: no value made up
    firewall.stop()
