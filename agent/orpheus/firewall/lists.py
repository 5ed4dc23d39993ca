"""The access lists: per service the networks allowed (none listed: open to all), and the
trusted networks that the attacker blocking never blocks."""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from orpheus.firewall.networks import (
    LOOPBACK,
    Address,
    BadNetwork,
    Network,
    contains,
    parse_network,
)

# A bound on what one list holds: nftables takes far more, but a list longer than this is a
# mistake or an attack on the agent's memory, not an access list.
MAX_NETWORKS = 1024


@dataclass(frozen=True)
class AccessLists:
    allow: Mapping[str, tuple[Network, ...]] = field(default_factory=dict)  # absent: open
    trusted: tuple[Network, ...] = ()

    @property
    def restricted(self) -> bool:
        return bool(self.allow)

    def admits(self, service: str, address: Address) -> bool:
        """Whether address may reach service (loopback always may)."""
        networks = self.allow.get(service)
        return networks is None or contains(LOOPBACK, address) or contains(networks, address)

    def never_blocked(self, address: Address) -> bool:
        return contains(LOOPBACK, address) or contains(self.trusted, address)

    def as_json(self) -> dict[str, Any]:
        return {
            "allow": {name: [str(n) for n in nets] for name, nets in sorted(self.allow.items())},
            "trusted": [str(n) for n in self.trusted],
        }


def parse_lists(document: Mapping[str, Any], services: Collection[str]) -> AccessLists:
    """AccessLists from their JSON form; raises BadNetwork (one line) on anything wrong."""
    allow_part = document.get("allow") or {}
    if not isinstance(allow_part, Mapping):
        raise BadNetwork("allow must be an object of service: [networks]")
    allow: dict[str, tuple[Network, ...]] = {}
    for name, texts in allow_part.items():
        if name not in services:
            raise BadNetwork(f"unknown service {str(name)[:32]!r} (one of {', '.join(services)})")
        if texts is None:  # null: open again
            continue
        allow[name] = parse_networks(texts, f"allow.{name}")
    return AccessLists(allow, parse_networks(document.get("trusted") or [], "trusted"))


def parse_networks(texts: object, where: str) -> tuple[Network, ...]:
    if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
        raise BadNetwork(f"{where}: a list of networks expected")
    if len(texts) > MAX_NETWORKS:
        raise BadNetwork(f"{where}: {len(texts)} networks, at most {MAX_NETWORKS}")
    return collapse(parse_network(text) for text in texts)


def collapse(networks: Any) -> tuple[Network, ...]:
    """The same addresses as fewest networks, IPv4 first: nftables' interval sets refuse
    overlapping elements, and equal lists then compare equal."""
    listed = list(networks)
    v4 = [n for n in listed if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in listed if isinstance(n, ipaddress.IPv6Network)]
    return (*ipaddress.collapse_addresses(v4), *ipaddress.collapse_addresses(v6))
