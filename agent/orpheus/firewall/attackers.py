"""Which source addresses to block: N failed SIP authentications within a window, then a
block whose length doubles for each repeat offence (up to a cap).

Memory is bounded: at most MAX_TRACKED addresses are remembered, the least recent forgotten
first (a flood from many addresses cannot grow the agent)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from orpheus.firewall.networks import Address

MAX_TRACKED = 65536


@dataclass(frozen=True)
class BlockPolicy:
    failures: int = 5
    window_seconds: float = 60.0
    block_seconds: int = 3600
    max_block_seconds: int = 7 * 24 * 3600


@dataclass
class _Record:
    failures: deque[float]
    offences: int = 0


class AttackerTracker:
    def __init__(self, policy: BlockPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self._clock = clock
        self._records: OrderedDict[Address, _Record] = OrderedDict()
        self._lock = threading.Lock()
        self.failures_seen = 0
        self.blocks_made = 0

    def failure(self, address: Address) -> int | None:
        """Counts a failure from address; the block's seconds when it is to be blocked now."""
        now = self._clock()
        with self._lock:
            self.failures_seen += 1
            record = self._records.pop(address, None) or _Record(deque())
            self._records[address] = record  # most recent last
            while len(self._records) > MAX_TRACKED:
                self._records.popitem(last=False)
            record.failures.append(now)
            while record.failures and now - record.failures[0] > self.policy.window_seconds:
                record.failures.popleft()
            if len(record.failures) < self.policy.failures:
                return None
            record.failures.clear()
            record.offences += 1
            self.blocks_made += 1
            seconds: int = self.policy.block_seconds << min(record.offences - 1, 20)
            return min(seconds, self.policy.max_block_seconds)

    def forgive(self, address: Address) -> None:
        """An admin unblocked it: its next block starts from the first length again."""
        with self._lock:
            self._records.pop(address, None)
