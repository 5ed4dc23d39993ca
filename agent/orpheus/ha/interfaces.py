"""The unit's interfaces and addresses, read with `ip -j` (iproute2 is on the device and hosts)."""

from __future__ import annotations

import contextlib
import ipaddress
import json
from dataclasses import dataclass
from typing import Any

from orpheus import runner


class InterfaceError(ValueError):
    """A pairing input does not fit this unit's network; the message is for the user."""


@dataclass(frozen=True)
class InterfaceAddress:
    interface: str
    address: ipaddress.IPv4Interface


IP_TIMEOUT_SECONDS = 10.0


def _ip_json(*args: str) -> list[dict[str, Any]]:
    try:
        result = runner.run(["ip", "-j", *args], timeout=IP_TIMEOUT_SECONDS)
    except runner.CommandError as error:
        raise InterfaceError(error.stderr.strip() or str(error)) from error
    return json.loads(result.stdout or "[]")  # type: ignore[no-any-return]


def addresses() -> list[InterfaceAddress]:
    found = []
    for link in _ip_json("-4", "addr", "show"):
        for info in link.get("addr_info", []):
            prefix = f"{info['local']}/{info['prefixlen']}"
            found.append(InterfaceAddress(str(link["ifname"]), ipaddress.IPv4Interface(prefix)))
    return found


def parse_vip(vip: str) -> ipaddress.IPv4Interface:
    try:
        parsed = ipaddress.IPv4Interface(vip)
    except ValueError as error:
        raise InterfaceError(f"VIP {vip!r} is not an IPv4 address with a prefix length") from error
    if "/" not in vip:
        raise InterfaceError(f"VIP {vip!r} needs a prefix length, e.g. {vip}/24")
    return parsed


def primary_address(interface: str, vip: ipaddress.IPv4Interface | None = None) -> InterfaceAddress:
    """This unit's own address on interface (the one in the VIP's network when a VIP is given)."""
    links = {entry.interface for entry in addresses()}
    link_names = {str(link["ifname"]) for link in _ip_json("link", "show")}
    if interface not in link_names:
        raise InterfaceError(f"no interface {interface!r} on this unit")
    own = [
        entry
        for entry in addresses()
        if entry.interface == interface and entry.address.ip != (vip.ip if vip else None)
    ]
    if interface not in links or not own:
        raise InterfaceError(f"interface {interface!r} has no IPv4 address")
    if vip is None:
        return own[0]
    for entry in own:
        if vip.ip in entry.address.network:
            return entry
    networks = ", ".join(str(entry.address.network) for entry in own)
    raise InterfaceError(f"VIP {vip} is outside {interface}'s network ({networks})")


def interface_for_network(vip: ipaddress.IPv4Interface) -> InterfaceAddress:
    """The interface whose network holds the VIP (the Slave finds its own this way)."""
    for entry in addresses():
        if entry.address.ip != vip.ip and vip.ip in entry.address.network:
            return entry
    raise InterfaceError(f"no interface of this unit is in the VIP's network {vip.network}")


def default_gateway() -> str | None:
    routes = _ip_json("-4", "route", "show", "default")
    for route in routes:
        if "gateway" in route:
            return str(route["gateway"])
    return None


def has_address(interface: str, vip: ipaddress.IPv4Interface) -> bool:
    return any(e.interface == interface and e.address.ip == vip.ip for e in addresses())


def drop_address(interface: str, vip: ipaddress.IPv4Interface) -> None:
    """Removes the VIP left behind (e.g. by a keepalived that was killed) from a standby node."""
    if has_address(interface, vip):
        # Best effort, as before: keepalived may have removed it in the meantime.
        with contextlib.suppress(runner.CommandError):
            runner.run(
                ["ip", "addr", "del", str(vip), "dev", interface], timeout=IP_TIMEOUT_SECONDS
            )
