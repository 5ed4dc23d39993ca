"""Networks of an access list, from hostile text: CIDR or a single address, IPv4 or IPv6.

Checked by full match before ipaddress sees them, so that nothing ipaddress tolerates (a zone
"%eth0", surrounding spaces, a trailing newline) reaches nftables."""

from __future__ import annotations

import ipaddress
import re

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Characters of an address and its prefix length only: no zone, no space, no line break.
NETWORK_TEXT = re.compile(r"[0-9A-Fa-f:.]{2,45}(/[0-9]{1,3})?")
MAX_TEXT = 49
LOOPBACK: tuple[Network, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)


class BadNetwork(ValueError):
    """A network that is not one; the message is one line naming it."""


def parse_network(text: str) -> Network:
    if len(text) > MAX_TEXT or NETWORK_TEXT.fullmatch(text) is None:
        raise BadNetwork(f"{text[:MAX_TEXT]!r} is not a network (address or address/prefix)")
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError as error:
        raise BadNetwork(f"{text!r} is not a network: {error}") from error
    if network.version == 6 and network.network_address.ipv4_mapped is not None:
        raise BadNetwork(f"{text!r}: write an IPv4-mapped network as IPv4")
    return network


def parse_address(text: str) -> Address | None:
    """A source address as the agent sees it (REMOTE_ADDR, an AMI event); None if it is none."""
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:  # ::ffff:a.b.c.d on a v6 socket
        return address.ipv4_mapped
    return address


def contains(networks: tuple[Network, ...], address: Address) -> bool:
    return any(address.version == net.version and address in net for net in networks)
