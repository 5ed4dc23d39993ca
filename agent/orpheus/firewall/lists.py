"""The access lists: per service the networks allowed (none listed: open to all), and the
trusted networks that the attacker blocking never blocks.

A list may name an alias instead of a network: `local`, the networks of the unit's own
interfaces (and loopback), and `peer`, the HA peer's address when the unit is paired (else
as `local`). Aliases stay in the lists as written and are resolved when the lists are
applied (local.py), so a list follows the unit's addresses. A service the lists do not
mention gets its default: SSH, AMI and SNMP local, the HA peer's channel the peer; the
others open (`null` opens a service with a default too)."""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Iterable, Mapping
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
LOCAL = "local"
PEER = "peer"
ALIASES = (LOCAL, PEER)
DEFAULTS: Mapping[str, tuple[str, ...]] = {
    "ssh": (LOCAL,),
    "ami": (LOCAL,),
    "snmp": (LOCAL,),
    "ha": (PEER,),
}
Entry = Network | str  # str: one of ALIASES


@dataclass(frozen=True)
class Whereabouts:
    """What the aliases stand for now."""

    local: tuple[Network, ...] = LOOPBACK
    peer: tuple[Network, ...] | None = None  # None: not paired

    def networks(self, alias: str) -> tuple[Network, ...]:
        if alias == PEER and self.peer is not None:
            return self.peer
        return self.local


@dataclass(frozen=True)
class AccessLists:
    allow: Mapping[str, tuple[Entry, ...]] = field(default_factory=dict)  # absent: open
    trusted: tuple[Entry, ...] = ()

    @property
    def restricted(self) -> bool:
        return bool(self.allow)

    def resolved(self, here: Whereabouts) -> AccessLists:
        """The same lists with every alias replaced by its networks."""
        return AccessLists(
            {name: _resolve(entries, here) for name, entries in self.allow.items()},
            _resolve(self.trusted, here),
        )

    def networks(self, service: str) -> tuple[Network, ...]:
        """service's networks (of resolved lists; aliases are skipped)."""
        return tuple(n for n in self.allow.get(service, ()) if not isinstance(n, str))

    def admits(self, service: str, address: Address) -> bool:
        """Whether address may reach service (loopback always may); resolved lists."""
        if service not in self.allow:
            return True
        return contains(LOOPBACK, address) or contains(self.networks(service), address)

    def never_blocked(self, address: Address) -> bool:
        trusted = tuple(n for n in self.trusted if not isinstance(n, str))
        return contains(LOOPBACK, address) or contains(trusted, address)

    def as_json(self) -> dict[str, Any]:
        """The lists as parse_lists takes them back: a service with a default that is open
        is written as null."""
        allow: dict[str, list[str] | None] = {name: None for name in DEFAULTS}
        allow.update({name: [str(n) for n in nets] for name, nets in self.allow.items()})
        return {"allow": dict(sorted(allow.items())), "trusted": [str(n) for n in self.trusted]}


def parse_lists(document: Mapping[str, Any], services: Collection[str]) -> AccessLists:
    """AccessLists from their JSON form; raises BadNetwork (one line) on anything wrong."""
    allow_part = document.get("allow") or {}
    if not isinstance(allow_part, Mapping):
        raise BadNetwork("allow must be an object of service: [networks]")
    for name in allow_part:
        if name not in services:
            raise BadNetwork(f"unknown service {str(name)[:32]!r} (one of {', '.join(services)})")
    allow: dict[str, tuple[Entry, ...]] = {}
    for name in services:
        texts = allow_part[name] if name in allow_part else list(DEFAULTS.get(name, ())) or None
        if texts is None:  # null: open
            continue
        allow[name] = parse_networks(texts, f"allow.{name}")
    return AccessLists(allow, parse_networks(document.get("trusted") or [], "trusted"))


def parse_networks(texts: object, where: str) -> tuple[Entry, ...]:
    if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
        raise BadNetwork(f"{where}: a list of networks expected")
    if len(texts) > MAX_NETWORKS:
        raise BadNetwork(f"{where}: {len(texts)} networks, at most {MAX_NETWORKS}")
    aliases = tuple(alias for alias in ALIASES if alias in texts)
    return (*aliases, *collapse(parse_network(text) for text in texts if text not in ALIASES))


def _resolve(entries: Iterable[Entry], here: Whereabouts) -> tuple[Network, ...]:
    networks: list[Network] = []
    for entry in entries:
        networks.extend(here.networks(entry) if isinstance(entry, str) else (entry,))
    return collapse(networks)


def collapse(networks: Iterable[Network]) -> tuple[Network, ...]:
    """The same addresses as fewest networks, IPv4 first: nftables' interval sets refuse
    overlapping elements, and equal lists then compare equal."""
    listed = list(networks)
    v4 = [n for n in listed if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in listed if isinstance(n, ipaddress.IPv6Network)]
    return (*ipaddress.collapse_addresses(v4), *ipaddress.collapse_addresses(v6))
