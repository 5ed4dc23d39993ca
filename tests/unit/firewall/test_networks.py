from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from orpheus.firewall.lists import MAX_NETWORKS, AccessLists, Whereabouts, parse_lists
from orpheus.firewall.local import interface_networks, peer_networks
from orpheus.firewall.networks import BadNetwork, parse_address, parse_network
from orpheus.ha import pair

SERVICES = ("admin", "ssh", "sip", "ami", "snmp", "ha")


@pytest.mark.parametrize(
    "text", ["10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "::1", "fe80::1/128", "0.0.0.0/0"]
)
def test_a_network_is_taken(text: str) -> None:
    assert str(parse_network(text)) in (text, f"{text}/32", f"{text}/128")


@pytest.mark.parametrize(
    "text",
    [
        "10.0.0.0/8\n",  # a line break after a good network
        "10.0.0.0/8\nadd rule inet x y drop",
        "fe80::1%eth0",  # an IPv6 address with a zone
        "fe80::1%eth0/64",
        " 10.0.0.1",
        "10.0.0.1/33",
        "10.0.0.5/8",  # host bits set: say what you mean
        "10.0.0",
        "::ffff:10.0.0.1",  # IPv4-mapped: written as IPv4
        "a" * 200,
        "",
        "10.0.0.1,10.0.0.2",
        "2001:db8::/129",
    ],
)
def test_a_bad_network_is_refused_in_one_line(text: str) -> None:
    with pytest.raises(BadNetwork) as refused:
        parse_network(text)
    assert "\n" not in str(refused.value)


def test_source_addresses() -> None:
    assert parse_address("::ffff:192.0.2.1") == ipaddress.ip_address("192.0.2.1")
    assert parse_address("[2001:db8::1]") == ipaddress.ip_address("2001:db8::1")
    assert parse_address("local") is None


def test_lists_collapse_and_admit() -> None:
    lists = parse_lists(
        {"allow": {"admin": ["10.1.0.0/16", "10.0.0.0/8", "2001:db8::1"]}, "trusted": []},
        SERVICES,
    )
    assert [str(n) for n in lists.allow["admin"]] == ["10.0.0.0/8", "2001:db8::1/128"]
    assert lists.admits("admin", ipaddress.ip_address("10.9.9.9"))
    assert not lists.admits("admin", ipaddress.ip_address("192.0.2.1"))
    assert lists.admits("admin", ipaddress.ip_address("127.0.0.1"))  # loopback always
    assert lists.admits("sip", ipaddress.ip_address("192.0.2.1"))  # not listed: open
    assert lists.allow["ssh"] == ("local",)  # not listed: its default


def test_aliases_stay_as_written_and_resolve_to_networks() -> None:
    lists = parse_lists({"allow": {"ssh": ["192.0.2.0/24", "local"], "ha": None}}, SERVICES)
    assert lists.allow["ssh"] == ("local", ipaddress.ip_network("192.0.2.0/24"))
    assert "ha" not in lists.allow  # null: open, even with a default
    assert lists.as_json()["allow"]["ha"] is None
    assert parse_lists(lists.as_json(), SERVICES) == lists
    here = Whereabouts(local=(ipaddress.ip_network("192.0.2.0/25"),))
    resolved = lists.resolved(here)
    assert resolved.networks("ssh") == (ipaddress.ip_network("192.0.2.0/24"),)  # collapsed
    assert resolved.networks("ami") == (ipaddress.ip_network("192.0.2.0/25"),)
    assert resolved.networks("snmp") == resolved.networks("ami")


@pytest.mark.parametrize("text", ["LOCAL", "local ", "peers", "local\n"])
def test_only_the_exact_aliases_are_taken(text: str) -> None:
    with pytest.raises(BadNetwork):
        parse_lists({"allow": {"ssh": [text]}}, SERVICES)


def test_interface_networks_come_from_ip_json() -> None:
    links = [
        {"ifname": "lo", "addr_info": [{"local": "127.0.0.1", "prefixlen": 8}]},
        {"ifname": "eth0", "addr_info": [{"local": "10.0.2.15", "prefixlen": 24},
                                         {"local": "fe80::1", "prefixlen": 64}]},
        {"ifname": "odd", "addr_info": [{"local": "not an address", "prefixlen": 24}, {}]},
    ]  # fmt: skip
    assert [str(n) for n in interface_networks(links)] == [
        "10.0.2.0/24", "127.0.0.0/8", "::1/128", "fe80::/64"
    ]  # fmt: skip


def test_the_peer_comes_from_the_pairing(tmp_path: Path) -> None:
    assert peer_networks(tmp_path / "pair.json") is None
    (tmp_path / "pair.json").write_text("{not json")
    assert peer_networks(tmp_path / "pair.json") is None  # logged; ha falls back to local
    settings = pair.PairSettings("ab" * 32, "192.0.2.1", "192.0.2.2", "cd" * 32,
                                 "192.0.2.100/24", "eth0", 150, "master")  # fmt: skip
    pair.save(tmp_path / "pair.json", settings)
    assert peer_networks(tmp_path / "pair.json") == (ipaddress.ip_network("192.0.2.2/32"),)


def test_null_opens_a_service_and_an_empty_list_closes_it() -> None:
    lists = parse_lists({"allow": {"admin": None, "ssh": []}}, SERVICES)
    assert "admin" not in lists.allow and "sip" not in lists.allow
    assert not lists.admits("ssh", ipaddress.ip_address("10.0.0.1"))


def test_ten_thousand_networks_are_refused() -> None:
    many = [str(ipaddress.ip_address("10.0.0.0") + i) for i in range(10_000)]
    with pytest.raises(BadNetwork, match=f"10000 networks, at most {MAX_NETWORKS}"):
        parse_lists({"allow": {"sip": many}}, SERVICES)


def test_an_unknown_service_is_refused() -> None:
    with pytest.raises(BadNetwork, match="unknown service 'telnet'"):
        parse_lists({"allow": {"telnet": ["10.0.0.0/8"]}}, SERVICES)


def test_loopback_and_trusted_are_never_blocked() -> None:
    lists = AccessLists(trusted=(ipaddress.ip_network("198.51.100.0/24"),))
    assert lists.never_blocked(ipaddress.ip_address("127.0.0.2"))
    assert lists.never_blocked(ipaddress.ip_address("::1"))
    assert lists.never_blocked(ipaddress.ip_address("198.51.100.9"))
    assert not lists.never_blocked(ipaddress.ip_address("203.0.113.9"))
