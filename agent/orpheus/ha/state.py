"""The HA node's shared, mutable state: the pairing, the VRRP role and what is known of the
peer and the witness. The parts of the feature read and update it; the feature owns it."""

from __future__ import annotations

import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orpheus.ha import tls
from orpheus.ha.identity import Identity
from orpheus.ha.pair import PairSettings
from orpheus.ha.pairing import JoinWindow
from orpheus.ha.status import Failover

PEER_TIMEOUT_SECONDS = 1.0
WITNESS_TIMEOUT_SECONDS = 1.5

_ROLE_NAMES = {"MASTER": "master", "BACKUP": "slave", "FAULT": "fault", "STOP": "stopped"}


def role_name(vrrp_state: str) -> str:
    """The role users see for keepalived's state (BACKUP is the Slave)."""
    return _ROLE_NAMES.get(vrrp_state, vrrp_state.lower())


@dataclass
class PeerView:
    """The peer's last answer to GET /state (role, generation, changed_at, manifest, ...)."""

    state: dict[str, Any] | None = None
    seen_at: float | None = None  # monotonic time of the last answer
    behind_since: float | None = None  # since when this node is behind the peer

    def reachable(self) -> bool:
        return self.seen_at is not None and time.monotonic() - self.seen_at < PEER_TIMEOUT_SECONDS

    def key(self) -> tuple[int, float] | None:
        """The peer's (generation, changed_at) while it answers."""
        state = self.state
        if state is None or not self.reachable():
            return None
        return (int(state["generation"]), float(state["changed_at"]))

    def now_holds(self, generation: int, changed_at: float, manifest: object) -> None:
        """The peer holds this generation (it pushed it here, or took our push)."""
        if self.state is not None:
            self.state = {
                **self.state,
                "generation": generation,
                "changed_at": changed_at,
                "manifest": manifest,
            }


class HaState:
    def __init__(self, directory: Path, identity: Identity, settings: PairSettings | None) -> None:
        self.directory = directory
        self.identity = identity
        self.settings = settings
        self.role = "INIT" if settings else "UNPAIRED"  # keepalived's state name
        self.peer = PeerView()
        self.witness_seen_at: float | None = None
        self.yielding_since: float | None = None  # a split brain lost: see RolePolicy.yielding
        self.last_failover: Failover | None = None
        self.join: JoinWindow | None = None
        # Serialises pairing (join, pair, the peer's pair request).
        self.lock = threading.RLock()

    @property
    def pair_file(self) -> Path:
        return self.directory / "pair.json"

    @property
    def peer_cert_file(self) -> Path:
        return self.directory / "peer.crt"

    def role_name(self) -> str:
        return role_name(self.role)

    def witness_down(self) -> bool:
        seen = self.witness_seen_at
        return seen is None or time.monotonic() - seen > WITNESS_TIMEOUT_SECONDS

    def server_context(self) -> ssl.SSLContext:
        return tls.server_context(self.identity, self._peer_cert())

    def client_context(self) -> ssl.SSLContext:
        return tls.client_context(self.identity, self._peer_cert())

    def _peer_cert(self) -> Path | None:
        return self.peer_cert_file if self.settings and self.peer_cert_file.exists() else None
