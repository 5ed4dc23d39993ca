"""Shared parts for the HA unit tests: a real identity and synced record under tmp_path, and a
telephony fake (the real one drives Asterisk and `ip`, which these tests do not have)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from orpheus.ha.generation import SyncedConfig
from orpheus.ha.identity import ensure_identity
from orpheus.ha.pair import PairSettings
from orpheus.ha.state import HaState

SETTINGS = PairSettings(
    node_id="ab" * 32, local_address="10.0.0.1", peer_address="10.0.0.2",
    peer_fingerprint="cd" * 32, vip="10.0.0.100/24", interface="eth0", priority=150,
    preferred_role="master", witness="10.0.0.254",
)  # fmt: skip


class FakeTelephony:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def activate(self) -> None:
        self.calls.append("activate")

    def standby(self, interface: str, vip: str) -> None:
        self.calls.append(f"standby {interface} {vip}")


@pytest.fixture
def state(tmp_path: Path) -> HaState:
    directory = tmp_path / "state/ha"
    return HaState(directory, ensure_identity(directory), SETTINGS)


@pytest.fixture
def synced(tmp_path: Path) -> SyncedConfig:
    (tmp_path / "data").mkdir()
    return SyncedConfig(tmp_path / "data", tmp_path / "state/ha/generation.json")


def peer_answers(state: HaState, generation: int, changed_at: float, role: str = "slave") -> None:
    """The peer just answered GET /state with this generation."""
    state.peer.state = {
        "role": role, "generation": generation, "changed_at": changed_at, "manifest": {},
    }  # fmt: skip
    state.peer.seen_at = time.monotonic()
