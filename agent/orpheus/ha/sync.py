"""Configuration sync, the pushing side: scan the local files, decide who is newer, push.

A node's configuration is newer when its (generation, changed_at) is greater (ha/generation.py).
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable
from enum import Enum
from typing import Any

from orpheus.ha import peer_client
from orpheus.ha.generation import GenerationRecord, SyncedConfig
from orpheus.ha.state import HaState

log = logging.getLogger(__name__)

# Per socket operation (not the whole push): a peer that vanishes mid-push costs this long.
PUSH_TIMEOUT_SECONDS = 5.0

Key = tuple[int, float]  # (generation, changed_at)


class PushAction(Enum):
    IN_SYNC = "in sync"  # the peer holds exactly what we hold
    PEER_NEWER = "peer newer"  # the peer pushes to us instead
    PUSH = "push"


def push_action(peer_state: dict[str, Any], record: GenerationRecord) -> PushAction:
    """What to do with our configuration given the peer's last reported state."""
    peer_key = (peer_state["generation"], peer_state["changed_at"])
    if peer_key == record.key() and peer_state["manifest"] == record.manifest:
        return PushAction.IN_SYNC
    if (int(peer_key[0]), float(peer_key[1])) > record.key():
        return PushAction.PEER_NEWER
    return PushAction.PUSH


def newer_than_peer(own: Key, peer: Key | None) -> bool:
    """True when we hold a newer configuration than a peer that has had one (a fresh Slave at
    generation 0 is synced by the Master only once it holds the VIP: see SyncLoop.run)."""
    return peer is not None and peer[0] > 0 and own > peer


def sync_lag(own: Key, peer: Key | None, is_master: bool, now: float) -> float | None:
    """Seconds the pair has differed: 0 when both hold the same generation; None without a
    reachable peer."""
    if peer is None:
        return None
    if peer[0] == own[0]:
        return 0.0
    since = own[1] if is_master and own[1] else peer[1]
    return round(max(0.0, now - since), 3)


class SyncLoop:
    def __init__(
        self,
        state: HaState,
        synced: SyncedConfig,
        behind_reason: Callable[[], str | None],
        sync_port: int,
        scan_seconds: float,
    ) -> None:
        self._state = state
        self._synced = synced
        self._behind_reason = behind_reason
        self._sync_port = sync_port
        self._scan_seconds = scan_seconds

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(self._scan_seconds):
            if self._state.settings is not None:
                self.step()

    def step(self) -> None:
        author = self._state.role == "MASTER" and self._behind_reason() is None
        self._synced.scan(author=author)
        # The newer side pushes whatever its VRRP role (after a split brain the newer one
        # may be BACKUP for a moment), except to a fresh Slave: that one stays FAULT until
        # the Master holds the VIP and syncs it, so the Master set up as such wins VRRP.
        if author or newer_than_peer(self._synced.record.key(), self._state.peer.key()):
            self._push_if_needed()

    def _push_if_needed(self) -> None:
        peer, settings = self._state.peer, self._state.settings
        peer_state = peer.state
        if peer_state is None or not peer.reachable() or settings is None:
            return
        record = self._synced.record
        action = push_action(peer_state, record)
        if action is PushAction.IN_SYNC:
            self._synced.mark_synced(*record.key())
            return
        if action is PushAction.PEER_NEWER:
            return
        push = self._synced.make_push(peer_state["manifest"])
        try:
            peer_client.request(
                settings.peer_address, self._sync_port, self._state.client_context(),
                "POST", "/push", push.as_json(), timeout=PUSH_TIMEOUT_SECONDS,
            )  # fmt: skip
        except (peer_client.PeerUnreachable, ssl.SSLError) as error:
            log.info("push of generation %d failed: %s", push.generation, error)
            return
        except peer_client.PeerRefused as error:
            log.warning("peer refused generation %d: %s", push.generation, error)
            peer.state = None
            return
        peer.state = peer_state  # as it answered before the push, now holding what we pushed
        peer.now_holds(push.generation, push.changed_at, push.manifest)
        self._synced.mark_synced(push.generation, push.changed_at)
