"""VRRP role and role policy: whether this node may be Master (keepalived's track script asks),
what keepalived's state changes mean, the witness, and the Slave's refusal of changes."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from orpheus.ha import keepalived, witness
from orpheus.ha.generation import SyncedConfig
from orpheus.ha.peer_watch import PEER_POLL_SECONDS
from orpheus.ha.state import HaState
from orpheus.ha.status import Failover
from orpheus.ha.telephony import TelephonyRole

log = logging.getLogger(__name__)

# What belongs to each unit, not to the pair: never synced, so a Slave (or a unit in FAULT)
# changes it itself: its firmware (install, rollback), licence, admin password and pairing.
# (AMI accounts are the pair's: synced from the Master, read-only on the Slave.)
PER_UNIT = (
    "/api/v1/ha", "/api/v1/update", "/api/v1/license", "/api/v1/admin/",
    # users, levels and tokens are each unit's own (not synced), and a log-in changes nothing
    "/api/v1/users", "/api/v1/levels", "/api/v1/tokens", "/api/v1/session",
    # its recordings and the key they are encrypted to are its own too (never synced)
    "/api/v1/privacy", "/api/v1/recordings",
    # so is the certificate it serves over HTTPS (https/: each unit its own, never synced)
    "/api/v1/tls",
    # and its address (network/, never synced) and its own console's log-in, password reset
    # and reboot (console/routes.py): a Slave's installer must not be sent to the Master
    "/api/v1/network", "/api/v1/console/",
    # its clock (clock/: zone and NTP servers, never synced; a Slave may sit elsewhere) and
    # whether its own first-run wizard was done (firstrun/)
    "/api/v1/time", "/api/v1/setup",
    # and its identity, re-opened for the factory by a token for that unit alone (factory/)
    "/api/v1/factory/",
)  # fmt: skip

WITNESS_POLL_SECONDS = 0.5
# A Backup that stays behind the peer's configuration this long may not become Master.
BEHIND_GRACE_SECONDS = 2.0
# A Master that receives a push lost a split brain: it fails its check until it leaves MASTER
# (bounded, in case keepalived never reports the change).
YIELD_MAX_SECONDS = 10.0


def takeover_reason(
    previous: str, peer_seen_ago: float | None, peer_role: object, advert_interval: float
) -> str:
    """Why this node became MASTER, from what it last saw of the peer."""
    # keepalived declares the Master down after 3 adverts (plus skew); a peer still answering
    # was seen within one poll period.
    if peer_seen_ago is None or peer_seen_ago > max(3 * advert_interval, 1.5 * PEER_POLL_SECONDS):
        return "peer stopped answering"
    if peer_role == "fault":
        return "peer failed its health check"
    if previous == "INIT":
        return "started as the preferred Master"
    return "took over from the peer"


def release_reason(yielded: bool, state: str) -> str:
    """Why this node left MASTER for state."""
    if yielded:
        return "split brain healed: yielded to the peer's newer configuration"
    if state == "FAULT":
        return "this node failed its health check"
    return "the peer took the VIP"


class RolePolicy:
    def __init__(
        self,
        state: HaState,
        synced: SyncedConfig,
        healthy: Callable[[], tuple[bool, str]],
        telephony: TelephonyRole,
    ) -> None:
        self._state = state
        self._synced = synced
        self._healthy = healthy
        self._telephony = telephony

    def may_be_master(self) -> tuple[bool, str]:
        ok, reason = self._healthy()
        if not ok:
            return False, reason
        if self._state.settings is None:
            return True, "ok"
        if self._synced.record.generation == 0:
            return False, "waiting for the first configuration sync from the Master"
        if self.isolated():
            return False, "isolated: neither the peer nor the witness answers"
        if self.yielding():
            return False, "yielding the VIP to the peer, whose configuration was newer"
        behind = self.behind_reason()
        if behind:
            return False, behind
        return True, "ok"

    def isolated(self) -> bool:
        settings = self._state.settings
        if settings is None or self._state.peer.reachable() or not settings.witness:
            return False
        return self._state.witness_down()

    def yielding(self) -> bool:
        since = self._state.yielding_since
        if since is None or self._state.role != "MASTER":
            return False
        return time.monotonic() - since < YIELD_MAX_SECONDS

    def behind_reason(self) -> str | None:
        """Why this node may not be Master while the peer's configuration is newer, or None."""
        state, peer = self._state, self._state.peer
        peer_key = peer.key()
        record = self._synced.record
        if peer_key is None or peer_key <= record.key():
            peer.behind_since = None
            return None
        since = peer.behind_since or time.monotonic()
        peer.behind_since = since
        master_behind = state.role == "MASTER"
        if master_behind and state.yielding_since is None:
            state.yielding_since = time.monotonic()  # a split brain lost: see yielding()
        if master_behind or time.monotonic() - since > BEHIND_GRACE_SECONDS:
            return (
                f"configuration generation {record.generation} is behind the peer's "
                f"{peer_key[0]}: waiting to re-sync from it"
            )
        return None

    def write_refusal(self, path: str) -> str | None:
        """Configuration is read-only on the Slave: a changing request names the Master."""
        settings = self._state.settings
        if settings is None or self._state.role == "MASTER" or path.startswith(PER_UNIT):
            return None
        self._synced.record_refusal(f"{path} refused on the Slave")
        return (
            f"this unit is the Slave of an HA pair: configuration is read-only here; "
            f"make the change on the Master ({settings.peer_address})"
        )

    def on_vrrp_state(self, instance: str, vrrp_state: str) -> None:
        """keepalived's notify FIFO: our instance entered vrrp_state."""
        state = self._state
        settings = state.settings
        if instance != keepalived.INSTANCE or settings is None:
            return
        yielded = self.yielding()
        previous, state.role = state.role, vrrp_state
        if vrrp_state != "MASTER":
            state.yielding_since = None
        log.info("VRRP: %s -> %s", previous, vrrp_state)
        if vrrp_state == "MASTER":
            seen = state.peer.seen_at
            reason = takeover_reason(
                previous,
                None if seen is None else time.monotonic() - seen,
                (state.peer.state or {}).get("role"),
                settings.advert_interval,
            )
            state.last_failover = Failover(time.time(), reason, "master")
            self._telephony.activate()
            return
        if previous == "MASTER":
            reason = release_reason(yielded, vrrp_state)
            state.last_failover = Failover(time.time(), reason, state.role_name())
        self._telephony.standby(settings.interface, settings.vip)


def witness_loop(state: HaState, stop: threading.Event) -> None:
    """Pings the witness; a node that sees neither it nor the peer gives up the VIP."""
    while not stop.wait(WITNESS_POLL_SECONDS):
        settings = state.settings
        if settings and settings.witness and witness.ping(settings.witness, timeout=0.5):
            state.witness_seen_at = time.monotonic()
