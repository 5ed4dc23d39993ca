"""Sync decisions: who is newer, whether to push, the sync lag; and the push step itself
(the peer's side of the pair channel is replaced by a recorder: no peer runs here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orpheus.ha import peer_client
from orpheus.ha.generation import GenerationRecord, SyncedConfig
from orpheus.ha.state import HaState
from orpheus.ha.sync import PushAction, SyncLoop, newer_than_peer, push_action, sync_lag

from .conftest import peer_answers


def _record(generation: int, changed_at: float, manifest: dict[str, str]) -> GenerationRecord:
    return GenerationRecord(generation=generation, changed_at=changed_at, manifest=manifest)


def test_push_action() -> None:
    own = _record(3, 100.0, {"etc/asterisk/a.conf": "1"})
    same = {"generation": 3, "changed_at": 100.0, "manifest": {"etc/asterisk/a.conf": "1"}}
    assert push_action(same, own) is PushAction.IN_SYNC
    # Same generation, other files (a Slave that lost a write): ours are pushed again.
    assert push_action({**same, "manifest": {}}, own) is PushAction.PUSH
    assert push_action({**same, "generation": 2}, own) is PushAction.PUSH
    assert push_action({**same, "changed_at": 99.0}, own) is PushAction.PUSH
    assert push_action({**same, "generation": 4}, own) is PushAction.PEER_NEWER
    assert push_action({**same, "changed_at": 101.0}, own) is PushAction.PEER_NEWER


def test_newer_than_peer() -> None:
    assert not newer_than_peer((3, 100.0), None)
    assert not newer_than_peer((3, 100.0), (0, 0.0))  # a fresh Slave: the Master syncs it
    assert newer_than_peer((3, 100.0), (2, 200.0))
    assert newer_than_peer((3, 100.0), (3, 50.0))
    assert not newer_than_peer((3, 100.0), (3, 100.0))
    assert not newer_than_peer((3, 100.0), (4, 10.0))


def test_sync_lag() -> None:
    assert sync_lag((3, 100.0), None, True, 110.0) is None
    assert sync_lag((3, 100.0), (3, 100.0), True, 110.0) == 0.0
    assert sync_lag((4, 100.0), (3, 90.0), True, 110.5) == 10.5  # since our change
    assert sync_lag((3, 90.0), (4, 100.0), False, 110.5) == 10.5  # since the peer's change
    assert sync_lag((4, 0.0), (3, 90.0), True, 110.0) == 20.0  # no time of ours: the peer's
    assert sync_lag((3, 100.0), (4, 200.0), False, 110.0) == 0.0  # clocks apart: never < 0


class _Peer:
    """Records the pushes sent to it; answers as told."""

    def __init__(self, refuse: bool = False) -> None:
        self.pushes: list[dict[str, Any]] = []
        self.refuse = refuse

    def request(
        self,
        address: str,
        port: int,
        context: Any,
        method: str,
        path: str,
        body: Any,
        timeout: float,
    ) -> tuple[dict[str, Any], bytes | None]:
        if self.refuse:
            raise peer_client.PeerRefused(409, "no")
        self.pushes.append({"to": (address, port, method, path), **body})
        return {"generation": body["generation"]}, None


@pytest.fixture
def peer(monkeypatch: pytest.MonkeyPatch) -> _Peer:
    fake = _Peer()
    monkeypatch.setattr(peer_client, "request", fake.request)
    return fake


def _loop(state: HaState, synced: SyncedConfig) -> SyncLoop:
    return SyncLoop(state, synced, lambda: None, 7443, 0.1)


def test_the_master_authors_a_change_and_pushes_it(
    state: HaState, synced: SyncedConfig, tmp_path: Path, peer: _Peer
) -> None:
    conf = tmp_path / "data/etc/asterisk/extensions.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("[default]\n")
    state.role = "MASTER"
    peer_answers(state, 0, 0.0)
    _loop(state, synced).step()
    assert synced.record.generation == 1
    assert [push["to"] for push in peer.pushes] == [("10.0.0.2", 7443, "POST", "/push")]
    assert list(peer.pushes[0]["files"]) == ["etc/asterisk/extensions.conf"]
    assert state.peer.key() == synced.record.key()  # the peer holds it now
    assert synced.record.unsynced == []
    _loop(state, synced).step()  # nothing new: nothing pushed
    assert len(peer.pushes) == 1


def test_a_backup_pushes_only_when_newer(state: HaState, synced: SyncedConfig, peer: _Peer) -> None:
    state.role = "BACKUP"
    synced.record.generation, synced.record.changed_at = 5, 100.0
    peer_answers(state, 0, 0.0)
    _loop(state, synced).step()  # a fresh peer: left to the Master
    peer_answers(state, 6, 50.0)
    _loop(state, synced).step()  # the peer is newer: it pushes to us
    assert peer.pushes == []
    peer_answers(state, 4, 150.0)
    _loop(state, synced).step()  # after a split brain, the newer side pushes from BACKUP
    assert [push["generation"] for push in peer.pushes] == [5]


def test_a_refused_push_forgets_the_peer_state(
    state: HaState, synced: SyncedConfig, peer: _Peer
) -> None:
    peer.refuse = True
    state.role = "MASTER"
    synced.record.generation, synced.record.changed_at = 2, 100.0
    peer_answers(state, 1, 50.0)
    _loop(state, synced).step()
    assert state.peer.state is None


def test_no_push_to_an_unreachable_peer(state: HaState, synced: SyncedConfig, peer: _Peer) -> None:
    state.role = "MASTER"
    synced.record.generation, synced.record.changed_at = 2, 100.0
    peer_answers(state, 1, 50.0)
    state.peer.seen_at = None
    _loop(state, synced).step()
    assert peer.pushes == []
