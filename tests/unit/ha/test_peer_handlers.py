"""The pair channel's handlers: only the pinned peer is answered; pushes land, and a Master
that receives a newer one yields."""

from __future__ import annotations

import base64
import dataclasses
import time
from collections.abc import Iterable
from pathlib import Path

import pytest

from orpheus.ha import filesets
from orpheus.ha.generation import SyncedConfig
from orpheus.ha.identity import fingerprint_of_der
from orpheus.ha.peer_handlers import PeerChannelHandlers
from orpheus.ha.peer_server import PeerRequestError
from orpheus.ha.state import HaState

from .conftest import SETTINGS, peer_answers

PEER_CERT = b"the peer's certificate (DER)"
CONF = "etc/asterisk/extensions.conf"


class _Landed:
    def __init__(self) -> None:
        self.paths: list[str] = []

    def landed(self, relative_paths: Iterable[str]) -> None:
        self.paths += relative_paths


def _handlers(state: HaState, synced: SyncedConfig) -> tuple[PeerChannelHandlers, _Landed]:
    state.settings = dataclasses.replace(SETTINGS, peer_fingerprint=fingerprint_of_der(PEER_CERT))
    landed = _Landed()
    handlers = PeerChannelHandlers(state, synced, landed, None, "1.2.0")  # type: ignore[arg-type]
    return handlers, landed


def _push(generation: int, changed_at: float, content: bytes = b"[default]\n") -> dict[str, object]:
    return {
        "generation": generation,
        "changed_at": changed_at,
        "manifest": {CONF: filesets.digest(content)},
        "files": {CONF: base64.b64encode(content).decode()},
    }


def test_only_the_pinned_peer_is_answered(state: HaState, synced: SyncedConfig) -> None:
    handlers, _ = _handlers(state, synced)
    for cert in (None, b"another certificate"):
        with pytest.raises(PeerRequestError) as refused:
            handlers.peer_state(cert)
        assert refused.value.status == 403
        with pytest.raises(PeerRequestError):
            handlers.peer_push(_push(1, 1.0), cert)
    answer = handlers.peer_state(PEER_CERT)
    assert answer["role"] == "init" and answer["generation"] == 0
    assert answer["firmware_version"] == "1.2.0"


def test_a_push_lands_and_the_peer_holds_it(
    state: HaState, synced: SyncedConfig, tmp_path: Path
) -> None:
    handlers, landed = _handlers(state, synced)
    state.role = "BACKUP"
    peer_answers(state, 0, 0.0)
    assert handlers.peer_push(_push(2, 100.0), PEER_CERT) == {"generation": 2}
    assert (tmp_path / "data" / CONF).read_bytes() == b"[default]\n"
    assert landed.paths == [CONF]
    assert state.peer.key() == (2, 100.0)  # never pushed back from here
    assert state.yielding_since is None


def test_a_master_receiving_a_newer_push_yields(state: HaState, synced: SyncedConfig) -> None:
    handlers, _ = _handlers(state, synced)
    state.role = "MASTER"
    synced.record.generation, synced.record.changed_at = 2, 100.0
    handlers.peer_push(_push(3, 50.0), PEER_CERT)
    assert state.yielding_since is not None and state.yielding_since <= time.monotonic()


def test_a_master_ignores_its_own_generation_sent_back(
    state: HaState, synced: SyncedConfig, tmp_path: Path
) -> None:
    handlers, landed = _handlers(state, synced)
    state.role = "MASTER"
    synced.record.generation, synced.record.changed_at = 2, 100.0
    assert handlers.peer_push(_push(2, 100.0), PEER_CERT) == {"generation": 2}
    assert not (tmp_path / "data" / CONF).exists() and landed.paths == []
    assert state.yielding_since is None


def test_old_and_malformed_pushes_are_refused(state: HaState, synced: SyncedConfig) -> None:
    handlers, _ = _handlers(state, synced)
    synced.record.generation, synced.record.changed_at = 5, 100.0
    with pytest.raises(PeerRequestError) as refused:
        handlers.peer_push(_push(4, 200.0), PEER_CERT)
    assert refused.value.status == 409
    with pytest.raises(PeerRequestError) as refused:
        handlers.peer_push({"generation": "x"}, PEER_CERT)
    assert refused.value.status == 400
    bad = {**_push(6, 1.0), "manifest": {CONF: "0" * 64}}
    with pytest.raises(PeerRequestError) as refused:
        handlers.peer_push(bad, PEER_CERT)
    assert refused.value.status == 400 and "does not match" in refused.value.message
