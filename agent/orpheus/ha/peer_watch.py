"""Asks the paired peer its state over the pair channel, a few times a second."""

from __future__ import annotations

import ssl
import threading
import time

from orpheus.ha import peer_client
from orpheus.ha.state import PEER_TIMEOUT_SECONDS, HaState

# The peer's role and generation are this fresh; role.takeover_reason allows for it.
PEER_POLL_SECONDS = 0.2


def peer_loop(state: HaState, sync_port: int, stop: threading.Event) -> None:
    """Keeps state.peer current; a peer that does not answer just ages (see PeerView)."""
    while not stop.wait(PEER_POLL_SECONDS):
        settings = state.settings
        if settings is None:
            continue
        try:
            answer, _ = peer_client.request(
                settings.peer_address, sync_port, state.client_context(),
                "GET", "/state", timeout=PEER_TIMEOUT_SECONDS,
            )  # fmt: skip
        except (peer_client.PeerUnreachable, peer_client.PeerRefused, ssl.SSLError):
            continue
        state.peer.state, state.peer.seen_at = answer, time.monotonic()
