"""What the lists' aliases stand for on this unit now: its interfaces' networks (`ip -j addr`,
as ha/interfaces.py reads them, both families) and the HA peer of ha/pair.json.

Read at every apply, after every address change (address_watch.py) and every REFRESH_SECONDS
(control.py) as a backstop; one `ip` run is a few milliseconds."""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from orpheus import runner
from orpheus.firewall.lists import Whereabouts, collapse
from orpheus.firewall.networks import LOOPBACK, Network, parse_address
from orpheus.ha import pair

log = logging.getLogger(__name__)

IP_TIMEOUT_SECONDS = 10.0
REFRESH_SECONDS = 30.0


def interface_networks(links: list[dict[str, Any]]) -> tuple[Network, ...]:
    """The networks of every address in `ip -j addr show`'s answer, and loopback."""
    networks: list[Network] = list(LOOPBACK)
    for link in links:
        for info in link.get("addr_info", []):
            try:
                interface = ipaddress.ip_interface(f"{info['local']}/{info['prefixlen']}")
            except (KeyError, ValueError):
                continue
            networks.append(interface.network)
    return collapse(networks)


def peer_networks(pair_file: Path) -> tuple[Network, ...] | None:
    """The paired peer's address as a network of one; None when not paired."""
    try:
        settings = pair.load(pair_file)
    except (OSError, ValueError, TypeError) as error:
        log.warning("HA pairing unreadable (%s): the ha list falls back to local", error)
        return None
    address = parse_address(settings.peer_address) if settings else None
    return None if address is None else (ipaddress.ip_network(address),)


def look_around(pair_file: Path) -> Callable[[], Whereabouts]:
    """Reads this unit's whereabouts; loopback alone when `ip` cannot be run."""

    def read() -> Whereabouts:
        try:
            answer = runner.run(["ip", "-j", "addr", "show"], timeout=IP_TIMEOUT_SECONDS)
            links = json.loads(answer.stdout or "[]")
        except (runner.CommandError, ValueError) as error:
            log.error("the unit's addresses unreadable (%s): local is loopback only", error)
            links = []
        return Whereabouts(interface_networks(links), peer_networks(pair_file))

    return read
