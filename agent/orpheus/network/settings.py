"""The address settings and the systemd-networkd file they become.

The image links /etc/systemd/network/10-orpheus.network to the file the agent writes on the
data partition (both root slots share it, an update keeps it). Its name sorts before the
image's 20-wired.network (DHCP on every wired NIC), so networkd takes it first for the
interfaces it matches; with a static address only the named interface is matched, and the
other NICs keep the image's DHCP.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orpheus import files

DHCP, STATIC = "dhcp", "static"
NETWORK_FILE_NAME = "10-orpheus.network"
# Interface names as the kernel allows them, without what a .network line could misread.
INTERFACE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$"
MAX_DNS_SERVERS = 3  # what glibc's resolver uses at most
_WIRED = "en* eth*"


class NetworkInvalid(ValueError):
    """The settings do not make a usable network; the message is for the user."""


@dataclass(frozen=True)
class NetworkSettings:
    mode: str = DHCP
    interface: str | None = None  # static only: the NIC that takes the address
    address: str | None = None  # static only: address/prefix, IPv4 or IPv6
    gateway: str | None = None
    dns: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"mode": self.mode, "dns": list(self.dns)}
        for name in ("interface", "address", "gateway"):
            value = getattr(self, name)
            if value is not None:
                shown[name] = value
        return shown


def from_dict(raw: dict[str, Any]) -> NetworkSettings:
    """Settings from a request body (already of the declared shape) or the saved file,
    checked as a whole: the values must make a network, not only each be well formed."""
    mode = raw.get("mode", DHCP)
    dns = tuple(_dns_server(value) for value in raw.get("dns", []))
    if mode == DHCP:
        extra = sorted(name for name in ("interface", "address", "gateway") if name in raw)
        if extra:
            raise NetworkInvalid(f"with DHCP the network gives these: drop {', '.join(extra)}")
        return NetworkSettings(DHCP, dns=dns)
    interface = raw.get("interface")
    if not isinstance(interface, str) or not re.fullmatch(INTERFACE_PATTERN, interface):
        raise NetworkInvalid("a static address needs the interface that takes it (e.g. enp1s0)")
    address = _static_address(raw.get("address"))
    gateway = _gateway(raw.get("gateway"), address)
    return NetworkSettings(STATIC, interface, str(address), gateway, dns)


def _static_address(value: object) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface:
    if not isinstance(value, str) or "/" not in value:
        raise NetworkInvalid("a static address is address/prefix, e.g. 192.0.2.10/24")
    try:
        address = ipaddress.ip_interface(value)
    except ValueError as error:
        raise NetworkInvalid(f"not an address/prefix: {value[:60]!r}") from error
    ip = address.ip
    if ip.is_multicast or ip.is_unspecified or ip.is_loopback or ip.is_link_local:
        raise NetworkInvalid(f"{ip} cannot be the unit's address")
    network = address.network
    ends = (network.network_address, network.broadcast_address)
    if address.version == 4 and network.num_addresses > 2 and ip in ends:
        raise NetworkInvalid(f"{ip} is the network's own or broadcast address in {network}")
    return address


def _gateway(
    value: object, address: ipaddress.IPv4Interface | ipaddress.IPv6Interface
) -> str | None:
    if value is None:
        return None  # a unit on an isolated segment needs none
    try:
        gateway = ipaddress.ip_address(str(value))
    except ValueError as error:
        raise NetworkInvalid(f"not a gateway address: {str(value)[:60]!r}") from error
    if gateway == address.ip:
        raise NetworkInvalid("the gateway cannot be the unit's own address")
    if gateway not in address.network:
        raise NetworkInvalid(f"the gateway {gateway} is not in {address.network}")
    return str(gateway)


def _dns_server(value: object) -> str:
    try:
        server = ipaddress.ip_address(str(value))
    except ValueError as error:
        raise NetworkInvalid(f"not a DNS server address: {str(value)[:60]!r}") from error
    if server.is_multicast or server.is_unspecified:
        raise NetworkInvalid(f"{server} cannot be a DNS server")
    return str(server)


def render(settings: NetworkSettings) -> str:
    """The .network file; every value was checked above, none can add a line or a section."""
    match = _WIRED if settings.mode == DHCP else settings.interface
    lines = ["# Written by the Orpheus agent (PUT /api/v1/network): changes here are replaced.",
             "[Match]", f"Name={match}", "", "[Network]"]  # fmt: skip
    if settings.mode == DHCP:
        lines.append("DHCP=yes")
    else:
        lines.append(f"Address={settings.address}")
        if settings.gateway:
            lines.append(f"Gateway={settings.gateway}")
    lines += [f"DNS={server}" for server in settings.dns]
    if settings.mode == DHCP and settings.dns:
        lines += ["", "[DHCPv4]", "UseDNS=no", "", "[IPv6AcceptRA]", "UseDNS=no"]
    return "\n".join(lines) + "\n"


class NetworkStore:
    """The settings (state_dir/network.json) and the file networkd reads, written together."""

    def __init__(self, state_file: Path, network_file: Path) -> None:
        self.state_file = state_file
        self.network_file = network_file

    def load(self) -> NetworkSettings:
        try:
            raw = json.loads(self.state_file.read_text())
            return from_dict(raw)
        except FileNotFoundError:
            return NetworkSettings()
        except (ValueError, TypeError, AttributeError):  # damaged by hand: the image's DHCP
            return NetworkSettings()

    def save(self, settings: NetworkSettings) -> None:
        # networkd reads the file as its own user: world-readable, like the image's.
        self.network_file.parent.mkdir(parents=True, exist_ok=True)
        files.write_file(self.network_file, render(settings), mode=0o644)
        text = json.dumps(settings.as_dict(), indent=1, sort_keys=True) + "\n"
        files.write_file(self.state_file, text, mode=0o600)

    def ensure_written(self) -> None:
        """At start: the file networkd's link points at exists (a dangling link is warned
        about at every boot); the saved settings are rendered again (a newer firmware may
        render them differently)."""
        settings = self.load()
        if not self.network_file.exists() or self.network_file.read_text() != render(settings):
            self.save(settings)
