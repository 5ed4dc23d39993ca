"""HTTP API of the firewall (area network), audited.

GET    /api/v1/firewall                    the lists per service, a pending change, blocking
POST   /api/v1/firewall                    new lists, applied; rolled back unless confirmed
POST   /api/v1/firewall/confirm            keeps the pending change
GET    /api/v1/firewall/blocked            the addresses blocked, with their time left
DELETE /api/v1/firewall/blocked/<address>  unblocks one
"""

from __future__ import annotations

import logging
import sqlite3
import time
from typing import Any

import bottle

from orpheus.api.app import LOCAL_ENVIRON_KEY, Api, ApiError, json_body, request_address
from orpheus.api.requester import request_user
from orpheus.api.schema import obj
from orpheus.asterisk.adapter import Asterisk
from orpheus.audit.log import AuditEntry, AuditSink
from orpheus.config import AgentConfig
from orpheus.files import DiskFull
from orpheus.firewall import schemas
from orpheus.firewall.address_watch import AddressWatch
from orpheus.firewall.attackers import AttackerTracker, BlockPolicy
from orpheus.firewall.control import DEFAULT_CONFIRM_SECONDS, Firewall, Refused
from orpheus.firewall.lists import AccessLists
from orpheus.firewall.local import look_around
from orpheus.firewall.networks import Address, BadNetwork, parse_address
from orpheus.firewall.nft import Libnftables, NftUnavailable
from orpheus.firewall.security_events import SecurityEventReader
from orpheus.firewall.services import services
from orpheus.firewall.sip_acl import SipAcl
from orpheus.pbx.apply import AsteriskApplier

log = logging.getLogger(__name__)
AGENT_USER = "agent"
STATE_FILE = "firewall.json"  # the confirmed lists, in the agent's state directory
PAIR_FILE = "ha/pair.json"  # the HA pairing (orpheus.ha.pair), for the alias peer


class FirewallFeature:
    name = "firewall"

    def __init__(
        self, firewall: Firewall, asterisk: Asterisk, audit: AuditSink, acl: SipAcl | None = None
    ) -> None:
        self.firewall = firewall
        self._audit = audit
        self._acl = acl
        if acl is not None:
            firewall.on_applied.append(acl.update)
        firewall.on_rollback = self.rolled_back
        self._events = SecurityEventReader(asterisk, self._failure)
        self._addresses = AddressWatch(firewall.refresh)

    def install_routes(self, api: Api) -> None:
        names = list(self.firewall.services)
        api.route("GET", "/api/v1/firewall", self.state, area="network",
                  summary="The access lists per service, a change waiting for confirmation, "
                  "the SIP attacker blocking", response=schemas.STATE)  # fmt: skip
        api.route("POST", "/api/v1/firewall", self.change, area="network",
                  summary="New access lists, applied at once and rolled back unless confirmed "
                  "within confirm_seconds (default 60); refused if it would lock you out",
                  body=schemas.change_schema(names), response=schemas.STATE)  # fmt: skip
        api.route("POST", "/api/v1/firewall/confirm", self.confirm, area="network",
                  summary="Keep the change waiting for confirmation", body=obj({}),
                  response=schemas.STATE)  # fmt: skip
        api.route("GET", "/api/v1/firewall/blocked", self.list_blocked, area="network",
                  summary="The addresses blocked for failed SIP authentications",
                  response=schemas.BLOCKED)  # fmt: skip
        api.route("DELETE", "/api/v1/firewall/blocked/<address>", self.remove_blocked,
                  area="network", params={"address": schemas.ADDRESS_PARAM},
                  summary="Unblock an address", response=schemas.UNBLOCKED)  # fmt: skip

    def start(self) -> None:
        self.firewall.start()
        self._addresses.start()
        self._events.start()

    def stop(self) -> None:
        self._events.stop()
        self._addresses.stop()
        self.firewall.stop()

    # -- API ---------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        firewall = self.firewall
        applied = firewall.applied or firewall.confirmed
        pending = firewall.pending
        policy, tracker = firewall.tracker.policy, firewall.tracker
        return {
            "mode": "restricted" if applied.restricted else "open",
            "services": {
                name: {
                    "summary": service.summary,
                    "ports": [ports.describe() for ports in service.ports],
                    "allow": [str(n) for n in applied.allow[name]]
                    if name in applied.allow
                    else None,
                    "networks": [str(n) for n in firewall.resolved.networks(name)]
                    if name in firewall.resolved.allow
                    else None,
                }
                for name, service in firewall.services.items()
            },
            "trusted": [str(n) for n in applied.trusted],
            "local": [str(n) for n in firewall.here.local],
            "peer": None if firewall.here.peer is None else str(firewall.here.peer[0]),
            "pending": None
            if pending is None
            else {
                "confirm_within_seconds": round(max(0.0, pending.deadline - time.monotonic()), 1)
            },
            "confirmed": firewall.confirmed.as_json(),
            "blocking": {
                "failures": policy.failures,
                "window_seconds": policy.window_seconds,
                "block_seconds": policy.block_seconds,
                "failures_seen": tracker.failures_seen,
                "blocks_made": tracker.blocks_made,
                "reading_events": self._events.connected,
            },
            # nftables' first, then the SIP ACL's (the lists hold in nftables without it)
            "error": firewall.error or (self._acl.error if self._acl else None),
        }

    def change(self) -> dict[str, Any]:
        body = json_body()
        seconds = int(body.get("confirm_seconds", DEFAULT_CONFIRM_SECONDS))
        source = None
        if not bottle.request.environ.get(LOCAL_ENVIRON_KEY):
            source = parse_address(request_address())
        before = self.firewall.confirmed.as_json()
        try:
            lists = self.firewall.propose(body, source, bool(body.get("force")), seconds)
        except BadNetwork as error:
            raise ApiError(400, str(error)) from error
        except Refused as error:
            raise ApiError(409, str(error)) from error
        except NftUnavailable as error:
            raise ApiError(503, str(error)) from error
        after = {**lists.as_json(), "confirm_seconds": seconds, "forced": bool(body.get("force"))}
        self._record("firewall.change", request_user(), before, after)
        return self.state()

    def confirm(self) -> dict[str, Any]:
        try:
            lists = self.firewall.confirm()
        except Refused as error:
            raise ApiError(409, str(error)) from error
        self._record("firewall.confirm", request_user(), None, lists.as_json())
        return self.state()

    def list_blocked(self) -> dict[str, Any]:
        try:
            entries = self.firewall.blocked()
        except NftUnavailable as error:
            raise ApiError(503, str(error)) from error
        return {
            "blocked": [
                {"address": str(address), "expires_in_seconds": left} for address, left in entries
            ]
        }

    def remove_blocked(self, address: str) -> dict[str, Any]:
        parsed = parse_address(address)
        if parsed is None or str(parsed) != address:
            raise ApiError(400, f"{address!r} is not an IP address (as the block list shows it)")
        try:
            removed = self.firewall.unblock(parsed)
        except NftUnavailable as error:
            raise ApiError(503, str(error)) from error
        if not removed:
            raise ApiError(404, f"{address} is not blocked")
        self._record("firewall.unblock", request_user(), address, None)
        return {"address": address}

    # -- background --------------------------------------------------------------------------
    def rolled_back(self, new: AccessLists, restored: AccessLists) -> None:
        self._record("firewall.rollback", AGENT_USER, new.as_json(), restored.as_json())

    def _failure(self, address: Address, event: str) -> None:
        try:
            seconds = self.firewall.failure(address)
        except NftUnavailable as error:
            log.error("could not block %s: %s", address, error)
            return
        if seconds is not None:
            log.warning("blocked %s for %d s after failed SIP authentications (%s)",
                        address, seconds, event)  # fmt: skip

    def _record(self, change: str, user: str, before: Any, after: Any) -> None:
        try:
            self._audit.append(AuditEntry(change, "firewall", user, before, after))
        except (OSError, sqlite3.Error, DiskFull) as error:
            log.error("could not audit %s: %s", change, error)


def firewall_feature(
    config: AgentConfig, asterisk: Asterisk, audit: AuditSink, policy: BlockPolicy | None = None
) -> FirewallFeature:
    firewall = Firewall(
        Libnftables,
        services(config),
        config.state_dir / STATE_FILE,
        AttackerTracker(policy or BlockPolicy()),
        whereabouts=look_around(config.state_dir / PAIR_FILE),
    )
    acl = None
    if asterisk.manager_login is not None:  # the ACL reloads over AMI, like the PBX's files
        acl = SipAcl(AsteriskApplier(config.asterisk_config_dir, asterisk))
    return FirewallFeature(firewall, asterisk, audit, acl)
