"""What the pair channel's server (ha/peer_server.py) calls: the Master's pair request, the
peer's state polls and its configuration pushes."""

from __future__ import annotations

import logging
import time
from typing import Any

from orpheus import files
from orpheus.ha.generation import Push, ReplayedGeneration, SyncedConfig
from orpheus.ha.identity import fingerprint_of_der
from orpheus.ha.join import SlavePairing
from orpheus.ha.landing import LandedChanges
from orpheus.ha.pair import PairSettings
from orpheus.ha.peer_server import PeerRequestError
from orpheus.ha.state import HaState

log = logging.getLogger(__name__)


class PeerChannelHandlers:
    """Implements peer_server.PeerHandlers."""

    def __init__(
        self,
        state: HaState,
        synced: SyncedConfig,
        landed: LandedChanges,
        slave_pairing: SlavePairing,
        firmware_version: str,
    ) -> None:
        self._state = state
        self._synced = synced
        self._landed = landed
        self._slave_pairing = slave_pairing
        self._firmware_version = firmware_version

    def pair_refusal(self, client: str) -> str | None:
        return self._slave_pairing.refusal_for(client)

    def peer_pair(
        self, body: dict[str, Any], peer_cert_der: bytes | None, client: str
    ) -> dict[str, Any]:
        return self._slave_pairing.accept(body, client)

    def peer_state(self, peer_cert_der: bytes | None) -> dict[str, Any]:
        self._authenticated_peer(peer_cert_der)
        record = self._synced.record
        return {
            "role": self._state.role_name(),
            "generation": record.generation,
            "changed_at": record.changed_at,
            "manifest": record.manifest,
            "unsynced": record.unsynced,
            "firmware_version": self._firmware_version,
        }

    def peer_push(self, body: dict[str, Any], peer_cert_der: bytes | None) -> dict[str, Any]:
        self._authenticated_peer(peer_cert_der)
        state = self._state
        held = self._synced.record.key()
        try:
            push = Push.from_json(body)
            if state.role == "MASTER" and (push.generation, push.changed_at) == held:
                # The generation this Master authored, sent back by a peer with a stale view
                # of it: its files could only overwrite changes made here since the last scan.
                log.info("pair channel: push of generation %d held here already", push.generation)
                return {"generation": held[0]}
            applied = self._synced.apply(push)
        except ReplayedGeneration as error:
            log.warning("pair channel: push dropped: %s", error)
            raise PeerRequestError(409, str(error)) from error
        except files.DiskFull as error:  # nothing landed; the peer pushes again later
            log.warning("pair channel: push dropped: %s", error)
            raise PeerRequestError(507, str(error)) from error
        except (KeyError, TypeError, ValueError) as error:
            log.warning("pair channel: malformed push dropped: %s", error)
            raise PeerRequestError(400, f"malformed push: {error}") from error
        self._landed.landed(applied.changed)
        missing = applied.missing
        if missing:
            raise PeerRequestError(409, f"missing {len(missing)} file(s): {missing[:3]}")
        # The peer holds what it pushed: never push it back from here.
        state.peer.now_holds(push.generation, push.changed_at, push.manifest)
        # A push of what this node already holds (from a peer with a stale view) is no reason.
        if state.role == "MASTER" and (push.generation, push.changed_at) > held:
            log.warning("split brain healed: the peer's configuration was newer; yielding the VIP")
            state.yielding_since = time.monotonic()
        return {"generation": self._synced.record.generation}

    def _authenticated_peer(self, peer_cert_der: bytes | None) -> PairSettings:
        settings = self._state.settings
        if (
            settings is None
            or peer_cert_der is None
            or fingerprint_of_der(peer_cert_der) != settings.peer_fingerprint
        ):
            log.warning("pair channel: request without the paired peer's certificate dropped")
            raise PeerRequestError(403, "not the paired peer")
        return settings
