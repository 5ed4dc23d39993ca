"""Asterisk's security events over AMI: the source address of each failed SIP authentication.

One long AMI session of the agent's user logged in for the `security` class only; when
Asterisk is not there or restarts, it reconnects after a pause."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping

from orpheus.asterisk.adapter import Asterisk
from orpheus.asterisk.control import AsteriskUnavailable
from orpheus.firewall.networks import Address, parse_address

log = logging.getLogger(__name__)

# What fail2ban's Asterisk filter counts too; ChallengeSent (every first REGISTER) is not one.
FAILURES = frozenset(
    {"InvalidAccountID", "ChallengeResponseFailed", "InvalidPassword", "FailedACL"}
)
RECONNECT_SECONDS = 2.0


def failed_address(message: Mapping[str, str]) -> Address | None:
    """The remote address of a failure event ("IPV4/UDP/203.0.113.5/5060"), else None."""
    if message.get("Event") not in FAILURES:
        return None
    parts = message.get("RemoteAddress", "").split("/")
    if len(parts) < 4 or parts[0] not in ("IPV4", "IPV6"):
        return None
    return parse_address("/".join(parts[2:-1]))


class SecurityEventReader:
    def __init__(self, asterisk: Asterisk, on_failure: Callable[[Address, str], None]) -> None:
        self._asterisk = asterisk
        self._on_failure = on_failure
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="security-events", daemon=True)
        self.connected = False

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._read()
            except (AsteriskUnavailable, OSError) as error:
                if self.connected:
                    log.warning("security events: %s", error)
            self.connected = False
            self._stop.wait(RECONNECT_SECONDS)

    def _read(self) -> None:
        with self._asterisk.event_session("security") as session:
            self.connected = True
            log.info("reading Asterisk's security events")
            while not self._stop.is_set():
                try:
                    message = session.next_message()
                except TimeoutError:  # a quiet unit; the buffer is intact
                    continue
                address = failed_address(message)
                if address is not None:
                    self._on_failure(address, message.get("Event", ""))
