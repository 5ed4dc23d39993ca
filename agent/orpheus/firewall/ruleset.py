"""The agent's nftables table (inet orpheus) as libnftables JSON commands, one transaction.

Re-applying replaces the chain and the access lists' sets but never the block sets: an
address blocked stays blocked, with its timeout, across a change of the lists. Loopback is
always accepted (orpheusctl, Asterisk's AMI and the agent reach each other over it); a
blocked address is dropped before established traffic is accepted, so a SIP flow conntrack
already knows does not outlive its block. Rules exist only for restricted services."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from orpheus.firewall.lists import AccessLists
from orpheus.firewall.networks import Address, Network
from orpheus.firewall.services import Ports, Service

FAMILY = "inet"
TABLE = "orpheus"
CHAIN = "input"
PRIORITY = -10  # before the distribution's own filter tables (priority 0)
BLOCK_SETS = {4: "blocked_v4", 6: "blocked_v6"}
BLOCK_SET_SIZE = 65536
_TYPES = {4: "ipv4_addr", 6: "ipv6_addr"}
_SADDR = {4: {"payload": {"protocol": "ip", "field": "saddr"}},
          6: {"payload": {"protocol": "ip6", "field": "saddr"}}}  # fmt: skip
Command = dict[str, Any]


def _where() -> dict[str, str]:
    return {"family": FAMILY, "table": TABLE}


def set_name(service: str, version: int) -> str:
    return f"{service}_v{version}"


def element(network: Network) -> Any:
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return {"prefix": {"addr": str(network.network_address), "len": network.prefixlen}}


def render(lists: AccessLists, services: Mapping[str, Service]) -> list[Command]:
    """The table for resolved lists (AccessLists.resolved: no alias left)."""
    commands: list[Command] = [
        {"add": {"table": {"family": FAMILY, "name": TABLE}}},
        {"add": {"chain": {**_where(), "name": CHAIN, "type": "filter", "hook": "input",
                           "prio": PRIORITY, "policy": "accept"}}},
        {"flush": {"chain": {**_where(), "name": CHAIN}}},
    ]  # fmt: skip
    for version, name in BLOCK_SETS.items():
        block_set = {**_where(), "name": name, "type": _TYPES[version], "flags": ["timeout"]}
        commands.append({"add": {"set": {**block_set, "size": BLOCK_SET_SIZE}}})
    for service in services:
        allowed = lists.networks(service)
        for version in (4, 6):
            name = set_name(service, version)
            commands += [
                {"add": {"set": {**_where(), "name": name, "type": _TYPES[version],
                                 "flags": ["interval"]}}},
                {"flush": {"set": {**_where(), "name": name}}},
            ]  # fmt: skip
            elements = [element(n) for n in allowed if n.version == version]
            if elements:
                commands.append({"add": {"element": {**_where(), "name": name, "elem": elements}}})
    commands += [_rule(_match({"meta": {"key": "iifname"}}, "lo"), {"accept": None})]
    for version, name in BLOCK_SETS.items():
        commands.append(_rule(_match(_SADDR[version], f"@{name}"), {"drop": None}))
    commands.append(
        _rule(_match({"ct": {"key": "state"}}, ["established", "related"], "in"), {"accept": None})
    )
    for name in lists.allow:
        for ports in services[name].ports:
            selector = _selector(ports)
            for version in (4, 6):
                saddr = _match(_SADDR[version], f"@{set_name(name, version)}")
                commands.append(_rule(selector, saddr, {"accept": None}))
            commands.append(_rule(selector, {"counter": None}, {"drop": None}))
    return commands


def _match(left: Any, right: Any, op: str = "==") -> dict[str, Any]:
    return {"match": {"op": op, "left": left, "right": right}}


def _rule(*expr: Any) -> Command:
    return {"add": {"rule": {**_where(), "chain": CHAIN, "expr": list(expr)}}}


def _selector(ports: Ports) -> dict[str, Any]:
    if ports.protocol == "vrrp":
        return _match({"meta": {"key": "l4proto"}}, 112)
    spans = [a if a == b else {"range": [a, b]} for a, b in ports.ranges]
    return _match({"payload": {"protocol": ports.protocol, "field": "dport"}}, {"set": spans})


def block(address: Address, seconds: int) -> list[Command]:
    name = BLOCK_SETS[address.version]
    elem = [{"elem": {"val": str(address), "timeout": seconds}}]
    return [{"add": {"element": {**_where(), "name": name, "elem": elem}}}]


def unblock(address: Address) -> list[Command]:
    name = BLOCK_SETS[address.version]
    return [{"delete": {"element": {**_where(), "name": name, "elem": [str(address)]}}}]


def list_block_set(version: int) -> list[Command]:
    return [{"list": {"set": {**_where(), "name": BLOCK_SETS[version]}}}]


def blocked_entries(answer: Mapping[str, Any]) -> list[tuple[Address, int | None]]:
    """(address, seconds left) of a block set as `list set` answers it."""
    entries: list[tuple[Address, int | None]] = []
    for item in answer.get("nftables", []):
        for elem in item.get("set", {}).get("elem", []):
            value = elem.get("elem", {}) if isinstance(elem, dict) else {"val": elem}
            entries.append((ipaddress.ip_address(value["val"]), value.get("expires")))
    return entries
