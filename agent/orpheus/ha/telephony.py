"""The telephony role: what the agent does to Asterisk when the node becomes Master or standby.

Asterisk runs warm on both nodes and listens on all addresses, so the node that holds the VIP
answers calls to it as soon as the address arrives. Outbound trunk registrations run on the
Master only (two registrations from one pair would fight over the trunk).
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from typing import Protocol

from orpheus.asterisk.control import AsteriskUnavailable
from orpheus.ha import interfaces

log = logging.getLogger(__name__)

REGISTRATION_MODULE = "res_pjsip_outbound_registration.so"


class ModuleControl(Protocol):
    """What the role needs of the Asterisk adapter (orpheus.asterisk.adapter.Asterisk)."""

    def load_module(self, module: str) -> None: ...

    def unload_module(self, module: str) -> None: ...


class TelephonyRole:
    def __init__(self, asterisk: ModuleControl) -> None:
        self._asterisk = asterisk
        self._lock = threading.Lock()

    def activate(self) -> None:
        threading.Thread(target=self._apply, args=(True,), daemon=True).start()

    def standby(self, interface: str, vip: str) -> None:
        """Drops a VIP left on this node (a killed keepalived leaves it) and stops registrations."""
        interfaces.drop_address(interface, ipaddress.IPv4Interface(vip))
        threading.Thread(target=self._apply, args=(False,), daemon=True).start()

    def _apply(self, master: bool) -> None:
        """Loads (Master) or unloads (standby) the outbound registrations."""
        with self._lock:
            try:
                if master:
                    self._asterisk.load_module(REGISTRATION_MODULE)
                else:
                    self._asterisk.unload_module(REGISTRATION_MODULE)
            except AsteriskUnavailable as error:
                action = "load" if master else "unload"
                log.info(
                    "telephony role: %s of %s not applied: %s", action, REGISTRATION_MODULE, error
                )
