"""Which addresses are the unit itself (orpheus.update.destination)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from orpheus.update import destination

FIB_TRIE = """Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 10.0.2.0/24 2 0 2
        |-- 10.0.2.0
           /24 link UNICAST
        |-- 10.0.2.15
           /32 host LOCAL
        |-- 10.0.2.255
           /32 link BROADCAST
"""
IF_INET6 = """fd000000000000000000000000000002 04 40 00 82     eth0
00000000000000000000000000000001 01 80 10 80       lo
"""


def _proc(tmp_path: Path) -> Path:
    (tmp_path / "fib_trie").write_text(FIB_TRIE)
    (tmp_path / "if_inet6").write_text(IF_INET6)
    return tmp_path


def test_local_addresses_are_read_from_proc_net(tmp_path: Path) -> None:
    found = destination.local_addresses(_proc(tmp_path))
    assert found == {ipaddress.ip_address(a) for a in ("10.0.2.15", "fd00::2", "::1")}


@pytest.mark.parametrize(
    ("address", "what"),
    [
        ("127.0.0.1", "the unit itself"),
        ("127.8.9.10", "the unit itself"),
        ("0.0.0.0", "the unit itself"),
        ("::1", "the unit itself"),
        ("::", "the unit itself"),
        ("::ffff:127.0.0.1", "the unit itself"),
        ("169.254.169.254", "a link-local address"),
        ("fe80::1%eth0", "a link-local address"),
        ("10.0.2.15", "an address of the unit itself"),
        ("fd00::2", "an address of the unit itself"),
    ],
)
def test_the_unit_itself_and_link_local_are_refused_by_name(
    tmp_path: Path, address: str, what: str
) -> None:
    proc = _proc(tmp_path)
    reason = destination.refusal(
        "bundles.example", address, lambda: destination.local_addresses(proc)
    )
    assert (
        reason
        == f"bundles.example resolves to {address.split('%')[0].removeprefix('::ffff:')}, {what}"
    )


def test_other_hosts_are_allowed_the_qemu_host_among_them(tmp_path: Path) -> None:
    proc = _proc(tmp_path)
    for address in ("10.0.2.2", "192.0.2.7", "2001:db8::5"):
        assert (
            destination.refusal(address, address, lambda: destination.local_addresses(proc)) is None
        )
    assert destination.refusal("127.0.0.1", "127.0.0.1") == "127.0.0.1, the unit itself"
