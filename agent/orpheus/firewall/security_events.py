"""Asterisk's security events over AMI: the source address of each failed SIP authentication.

One long AMI session of the agent's user logged in for the `security` class only; when
Asterisk is not there or restarts, it reconnects after a pause."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from orpheus.asterisk.adapter import Asterisk
from orpheus.asterisk.event_reader import AmiEventReader
from orpheus.firewall.networks import Address, parse_address

# What fail2ban's Asterisk filter counts too; ChallengeSent (every first REGISTER) is not one.
FAILURES = frozenset(
    {"InvalidAccountID", "ChallengeResponseFailed", "InvalidPassword", "FailedACL"}
)


def failed_address(message: Mapping[str, str]) -> Address | None:
    """The remote address of a failure event ("IPV4/UDP/203.0.113.5/5060"), else None."""
    if message.get("Event") not in FAILURES:
        return None
    parts = message.get("RemoteAddress", "").split("/")
    if len(parts) < 4 or parts[0] not in ("IPV4", "IPV6"):
        return None
    return parse_address("/".join(parts[2:-1]))


class SecurityEventReader(AmiEventReader):
    """Hands each failed attempt's address and event name to on_failure."""

    def __init__(self, asterisk: Asterisk, on_failure: Callable[[Address, str], None]) -> None:
        super().__init__(asterisk, "security", "security events", self._message)
        self._on_failure = on_failure

    def _message(self, message: Mapping[str, str]) -> None:
        address = failed_address(message)
        if address is not None:
            self._on_failure(address, message.get("Event", ""))
