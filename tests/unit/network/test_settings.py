"""network/settings.py: what a network needs, and the networkd file it becomes."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from orpheus.network.settings import (
    NetworkInvalid,
    NetworkSettings,
    NetworkStore,
    from_dict,
    render,
)

STATIC = {"mode": "static", "interface": "enp1s0", "address": "192.0.2.10/24",
          "gateway": "192.0.2.1", "dns": ["192.0.2.53"]}  # fmt: skip


def test_dhcp_on_every_wired_interface() -> None:
    text = render(from_dict({"mode": "dhcp"}))
    assert "[Match]\nName=en* eth*\n" in text and "[Network]\nDHCP=yes\n" in text
    assert "DNS=" not in text


def test_dhcp_with_dns_servers_of_the_admins_choice() -> None:
    text = render(from_dict({"mode": "dhcp", "dns": ["2001:db8::53"]}))
    assert "DNS=2001:db8::53\n" in text
    assert "[DHCPv4]\nUseDNS=no" in text and "[IPv6AcceptRA]\nUseDNS=no" in text


def test_a_static_address_on_its_interface() -> None:
    text = render(from_dict(STATIC))
    assert text.splitlines()[1:] == [
        "[Match]", "Name=enp1s0", "", "[Network]", "Address=192.0.2.10/24",
        "Gateway=192.0.2.1", "DNS=192.0.2.53",
    ]  # fmt: skip


def test_ipv6_static_without_gateway() -> None:
    settings = from_dict({"mode": "static", "interface": "eth0", "address": "2001:db8::10/64"})
    assert settings.gateway is None and "Address=2001:db8::10/64" in render(settings)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"address": "192.0.2.10"}, "address/prefix"),
        ({"address": "192.0.2.300/24"}, "not an address/prefix"),
        ({"address": "192.0.2.0/24", "gateway": None}, "network's own or broadcast"),
        ({"address": "192.0.2.255/24", "gateway": None}, "network's own or broadcast"),
        ({"address": "127.0.0.2/8", "gateway": None}, "cannot be the unit's address"),
        ({"address": "224.0.0.1/4", "gateway": None}, "cannot be the unit's address"),
        ({"gateway": "198.51.100.1"}, "is not in 192.0.2.0/24"),
        ({"gateway": "192.0.2.10"}, "the unit's own address"),
        ({"gateway": "192.0.2.1\nDNS=6.6.6.6"}, "not a gateway address"),
        ({"dns": ["192.0.2.53\n[Match]"]}, "not a DNS server address"),
        ({"dns": ["0.0.0.0"]}, "cannot be a DNS server"),
        ({"interface": None}, "needs the interface"),
        ({"interface": "eth0\nName=*"}, "needs the interface"),
    ],
)
def test_what_makes_no_network_is_refused(change: dict[str, object], reason: str) -> None:
    raw = {key: value for key, value in {**STATIC, **change}.items() if value is not None}
    with pytest.raises(NetworkInvalid, match=reason.replace("(", r"\(")):
        from_dict(raw)


def test_dhcp_refuses_static_fields() -> None:
    with pytest.raises(NetworkInvalid, match="drop address, gateway"):
        from_dict({"mode": "dhcp", "address": "192.0.2.10/24", "gateway": "192.0.2.1"})


def test_store_writes_both_files_and_reads_back(tmp_path: Path) -> None:
    store = NetworkStore(tmp_path / "state/network.json", tmp_path / "etc/net/10-orpheus.network")
    (tmp_path / "state").mkdir()
    assert store.load() == NetworkSettings()  # nothing saved: DHCP
    store.save(from_dict(STATIC))
    assert store.load().as_dict() == STATIC
    assert stat.S_IMODE(store.network_file.stat().st_mode) == 0o644  # networkd's user reads it
    assert stat.S_IMODE(store.state_file.stat().st_mode) == 0o600
    assert json.loads(store.state_file.read_text()) == STATIC


def test_start_writes_the_file_the_image_links_to_and_survives_damage(tmp_path: Path) -> None:
    store = NetworkStore(tmp_path / "network.json", tmp_path / "net/10-orpheus.network")
    store.ensure_written()
    assert "DHCP=yes" in store.network_file.read_text()
    store.state_file.write_text("{not json")
    assert store.load() == NetworkSettings()
    store.save(from_dict(STATIC))
    store.network_file.write_text("edited by hand\n")
    store.ensure_written()
    assert "Address=192.0.2.10/24" in store.network_file.read_text()
