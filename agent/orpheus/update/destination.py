"""Which addresses are the unit itself: a bundle URL must not lead there, first or after a
redirect (the agent would fetch from its own services, e.g. the API or Asterisk on loopback).

Read from /proc/net of the agent's network namespace, so an address added later (the VIP a
Master takes over) counts as soon as the kernel has it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
LocalAddresses = Callable[[], set[Address]]

PROC_NET = Path("/proc/net")
# Loopback, "this host" and link-local (cloud metadata services live at 169.254.169.254).
_NEVER = {
    "the unit itself": tuple(
        ipaddress.ip_network(n) for n in ("127.0.0.0/8", "0.0.0.0/8", "::1/128", "::/128")
    ),
    "a link-local address": tuple(ipaddress.ip_network(n) for n in ("169.254.0.0/16", "fe80::/10")),
}


def local_addresses(proc_net: Path = PROC_NET) -> set[Address]:
    """Every address assigned to one of the unit's interfaces, IPv4 and IPv6."""
    return _ipv4_local(proc_net / "fib_trie") | _ipv6_local(proc_net / "if_inet6")


def _ipv4_local(fib_trie: Path) -> set[Address]:
    """fib_trie lists each address as '|-- 10.0.0.5' followed by '/32 host LOCAL' when it is
    one of the unit's own."""
    found: set[Address] = set()
    last = ""
    try:
        lines = fib_trie.read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        text = line.strip()
        if text.startswith("|-- "):
            last = text[4:]
        elif text.startswith("/32 host LOCAL") and last:
            found.add(ipaddress.IPv4Address(last))
    return found


def _ipv6_local(if_inet6: Path) -> set[Address]:
    try:
        lines = if_inet6.read_text().splitlines()
    except OSError:
        return set()
    return {ipaddress.IPv6Address(int(line.split()[0], 16)) for line in lines if line.strip()}


def refusal(host: str, address: str, local: LocalAddresses = local_addresses) -> str | None:
    """Why the agent must not connect to `address` (what `host` resolved to), or None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for what, networks in _NEVER.items():
        if any(ip in network for network in networks):
            return _sentence(host, ip, what)
    if ip in local():
        return _sentence(host, ip, "an address of the unit itself")
    return None


def _sentence(host: str, ip: Address, what: str) -> str:
    named = str(ip) if host.strip("[]") == str(ip) else f"{host} resolves to {ip}"
    return f"{named}, {what}"
