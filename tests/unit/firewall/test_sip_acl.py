"""The SIP list as Asterisk's PJSIP ACL: its text, its file, kept out of the HA sync."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

from orpheus.asterisk.adapter import Asterisk, ManagerLogin
from orpheus.firewall import sip_acl
from orpheus.firewall.lists import AccessLists, Whereabouts, parse_lists
from orpheus.ha.filesets import FILE_SETS
from orpheus.pbx.apply import AsteriskApplier


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


def _acl(directory: Path) -> sip_acl.SipAcl:
    # No Asterisk runs here: AMI's port is closed and the console command fails, as on a unit
    # whose Asterisk is down; the file is left for Asterisk to read when it starts.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    asterisk = Asterisk(["false"], ManagerLogin(port, "orpheus", "x"))
    return sip_acl.SipAcl(AsteriskApplier(directory, asterisk))


def _lists(sip: list[str] | None) -> AccessLists:
    return parse_lists({"allow": {"sip": sip}}, ("sip",)).resolved(Whereabouts())


def test_the_acl_file_follows_the_sip_list_with_asterisk_down(tmp_path: Path) -> None:
    acl = _acl(tmp_path)
    acl.update(_lists(["192.0.2.0/24"]))
    path = tmp_path / sip_acl.ACL_FILE
    assert "permit=192.0.2.0/24" in path.read_text() and acl.error is None
    acl.update(_lists(None))
    assert "type=acl" not in path.read_text()


def test_an_acl_that_cannot_be_written_is_an_error_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "pjsip.d").write_text("a file where the directory should be")
    acl = _acl(tmp_path)
    acl.update(_lists(["192.0.2.0/24"]))
    assert acl.error is not None and acl.error.startswith("Asterisk's SIP ACL not written")
    assert "\n" not in acl.error
