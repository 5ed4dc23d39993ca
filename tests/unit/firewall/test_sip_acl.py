"""Rendering the SIP list as Asterisk's PJSIP ACL, and keeping it out of the HA sync."""

from __future__ import annotations

import ipaddress

from orpheus.firewall import sip_acl
from orpheus.ha.filesets import FILE_SETS


def test_a_listed_sip_denies_all_then_permits_loopback_and_the_list() -> None:
    networks = (ipaddress.ip_network("10.77.1.0/24"), ipaddress.ip_network("2001:db8::/32"))
    lines = sip_acl.render(networks).splitlines()
    start = lines.index("[orpheus-sip]")
    # Asterisk: the last matching rule wins, so the denials come first
    assert lines[start + 1 :] == [
        "type=acl",
        "deny=0.0.0.0/0",
        "deny=::/0",
        "permit=127.0.0.0/8",
        "permit=::1/128",
        "permit=10.77.1.0/24",
        "permit=2001:db8::/32",
    ]


def test_an_empty_sip_list_permits_loopback_only() -> None:
    assert [line for line in sip_acl.render(()).splitlines() if line.startswith("permit=")] == [
        "permit=127.0.0.0/8",
        "permit=::1/128",
    ]


def test_an_open_sip_has_no_acl() -> None:
    assert "type=acl" not in sip_acl.render(None)


def test_the_acl_is_node_local() -> None:
    (asterisk,) = [fs for fs in FILE_SETS if fs.name == "asterisk-config"]
    assert not asterisk.holds(sip_acl.ACL_FILE)
    assert asterisk.holds("pjsip.d/orpheus.conf")
