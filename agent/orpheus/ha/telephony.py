"""The telephony role: what the agent does to Asterisk when the node becomes Master or standby.

Asterisk runs warm on both nodes and listens on all addresses, so the node that holds the VIP
answers calls to it as soon as the address arrives. Outbound trunk registrations run on the
Master only (two registrations from one pair would fight over the trunk).
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from collections.abc import Sequence

from orpheus.asterisk.control import AsteriskUnavailable, run_cli
from orpheus.ha import interfaces

log = logging.getLogger(__name__)

REGISTRATION_MODULE = "res_pjsip_outbound_registration.so"


class TelephonyRole:
    def __init__(self, asterisk_command: Sequence[str]) -> None:
        self._asterisk_command = tuple(asterisk_command)
        self._lock = threading.Lock()

    def activate(self) -> None:
        threading.Thread(
            target=self._cli, args=(f"module load {REGISTRATION_MODULE}",), daemon=True
        ).start()

    def standby(self, interface: str, vip: str) -> None:
        """Drops a VIP left on this node (a killed keepalived leaves it) and stops registrations."""
        interfaces.drop_address(interface, ipaddress.IPv4Interface(vip))
        threading.Thread(
            target=self._cli, args=(f"module unload {REGISTRATION_MODULE}",), daemon=True
        ).start()

    def _cli(self, command: str) -> None:
        with self._lock:
            try:
                run_cli(self._asterisk_command, command)
            except AsteriskUnavailable as error:
                log.info("telephony role: %r not applied: %s", command, error)
