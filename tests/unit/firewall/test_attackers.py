from __future__ import annotations

import ipaddress

import pytest

from orpheus.firewall import attackers
from orpheus.firewall.attackers import AttackerTracker, BlockPolicy

ATTACKER = ipaddress.ip_address("203.0.113.5")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_nth_failure_within_the_window_blocks() -> None:
    tracker = AttackerTracker(BlockPolicy(failures=5, window_seconds=60), Clock())
    assert [tracker.failure(ATTACKER) for _ in range(5)] == [None] * 4 + [3600]
    assert tracker.blocks_made == 1 and tracker.failures_seen == 5


def test_failures_spread_beyond_the_window_do_not_block() -> None:
    clock = Clock()
    tracker = AttackerTracker(BlockPolicy(failures=3, window_seconds=60), clock)
    for _ in range(10):
        assert tracker.failure(ATTACKER) is None
        clock.now += 31


def test_repeat_offenders_are_blocked_longer_up_to_the_cap() -> None:
    policy = BlockPolicy(failures=1, block_seconds=3600, max_block_seconds=4 * 3600)
    tracker = AttackerTracker(policy, Clock())
    assert [tracker.failure(ATTACKER) for _ in range(4)] == [3600, 7200, 14400, 14400]
    tracker.forgive(ATTACKER)
    assert tracker.failure(ATTACKER) == 3600


def test_memory_is_bounded_under_a_flood_from_many_addresses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(attackers, "MAX_TRACKED", 100)
    tracker = AttackerTracker(BlockPolicy(), Clock())
    base = ipaddress.ip_address("10.0.0.0")
    for i in range(1000):
        tracker.failure(base + i)
    assert len(tracker._records) == 100
