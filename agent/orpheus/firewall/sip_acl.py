"""The SIP list as Asterisk's own PJSIP ACL: a second layer behind nftables (it holds if the
table is flushed), in a file of its own, pjsip.d/orpheus-acl.conf (pjsip.conf includes
pjsip.d/*.conf). res_pjsip_acl applies a `type=acl` object to every inbound SIP request and
answers a denied source 403 itself, raising the security event FailedACL (counted by the
attacker blocking like a wrong password).

The file is node-local like the lists (ha/filesets.py does not sync it), written through the
PBX's AsteriskApplier (the one writer of Asterisk's configuration) and res_pjsip reloaded when
its text changes. Asterisk's rules: the last one matching wins, so deny all, then permit."""

from __future__ import annotations

import logging

from orpheus.firewall.lists import AccessLists
from orpheus.firewall.networks import LOOPBACK, Network
from orpheus.pbx.apply import AsteriskApplier
from orpheus.pbx.render import HEADER

log = logging.getLogger(__name__)

ACL_FILE = "pjsip.d/orpheus-acl.conf"
ACL_NAME = "orpheus-sip"
SERVICE = "sip"


def render(networks: tuple[Network, ...] | None) -> str:
    """The file for the SIP list's networks (resolved); None: open, no ACL."""
    if networks is None:
        return HEADER + "; SIP is open to every address: no ACL.\n"
    permits = [*LOOPBACK, *networks]
    lines = [f"[{ACL_NAME}]", "type=acl", "deny=0.0.0.0/0", "deny=::/0"]
    lines += [f"permit={network}" for network in permits]
    return HEADER + "\n".join(lines) + "\n"


class SipAcl:
    """Keeps Asterisk's ACL at the SIP list of the lists nftables has (Firewall.on_applied)."""

    def __init__(self, applier: AsteriskApplier) -> None:
        self._applier = applier
        self.error: str | None = None

    def update(self, resolved: AccessLists) -> None:
        networks = resolved.networks(SERVICE) if SERVICE in resolved.allow else None
        try:
            result = self._applier.put({ACL_FILE: render(networks)})
        except OSError as error:  # DiskFull among them: the previous file stays
            self.error = f"Asterisk's SIP ACL not written: {error}"
            log.error("%s", self.error)
            return
        self.error = None
        if not result.applied:  # the file is there: Asterisk reads it when it starts
            log.warning("Asterisk's SIP ACL written, not reloaded: %s", result.detail)
        elif result.reloaded:
            log.info("Asterisk's SIP ACL %s", result.detail)
