"""Wrong passwords per user name, across source addresses (api/login_limit.py counts them per
address): guessing one user's password from many addresses, a few each, is stopped too.

After `failures` wrong passwords for a name within `window_seconds` the name is blocked for
`first_block_seconds`, doubling with each further wrong password up to `max_block_seconds`.
A block holds only for addresses that have not logged in as that user since the agent
started (the last `known_addresses` of them are remembered per user): a stranger who guesses
from elsewhere cannot lock the right user out from where they work, and a new address waits
at most one block. Wrong passwords from those known addresses are not counted here (the
per-address limit holds them). The limit is set above the per-address one, so one address
alone is stopped by that limit long before it blocks a user for everyone else.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from orpheus.api.login_limit import address_key


@dataclass(frozen=True)
class UserLimits:
    failures: int = 10
    window_seconds: float = 5 * 60.0
    first_block_seconds: float = 30.0
    max_block_seconds: float = 15 * 60.0
    forget_seconds: float = 30 * 60.0
    users: int = 4096
    known_addresses: int = 16


@dataclass
class _Entry:
    failures: collections.deque[float] = field(default_factory=collections.deque)
    blocks: int = 0
    blocked_until: float = 0.0
    last: float = 0.0
    known: collections.OrderedDict[str, None] = field(default_factory=collections.OrderedDict)


class UserLoginLimiter:
    def __init__(
        self, limits: UserLimits = UserLimits(), *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._entries: collections.OrderedDict[str, _Entry] = collections.OrderedDict()
        self._lock = threading.Lock()

    def tracked(self) -> int:
        with self._lock:
            return len(self._entries)

    def retry_after(self, user: str, address: str) -> int | None:
        """Seconds until the user may be tried from this address; None when it may now."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(user)
            if entry is None or entry.blocked_until <= now or address_key(address) in entry.known:
                return None
            return max(1, math.ceil(entry.blocked_until - now))

    def failed(self, user: str, address: str) -> None:
        """A wrong password for user from address; one from an address the user has logged in
        from is left to the per-address limit (a mistyped password, a stale probe)."""
        now = self._clock()
        with self._lock:
            entry = self._entry(user, now)
            if address_key(address) in entry.known:
                return
            entry.last = now
            entry.failures.append(now)
            while entry.failures and entry.failures[0] <= now - self.limits.window_seconds:
                entry.failures.popleft()
            if entry.blocks == 0 and len(entry.failures) < self.limits.failures:
                return
            seconds = self.limits.first_block_seconds * 2**entry.blocks
            entry.blocked_until = now + min(seconds, self.limits.max_block_seconds)
            entry.blocks += 1
            entry.failures.clear()

    def succeeded(self, user: str, address: str) -> None:
        """The right password: the address is known for the user. The count goes on (a
        monitoring probe logging in every few seconds must not reset a guesser's count)."""
        now = self._clock()
        with self._lock:
            entry = self._entry(user, now)
            key = address_key(address)
            entry.known[key] = None
            entry.known.move_to_end(key)
            while len(entry.known) > self.limits.known_addresses:
                entry.known.popitem(last=False)

    def _entry(self, user: str, now: float) -> _Entry:
        entry = self._entries.get(user)
        if entry is not None and now - entry.last > self.limits.forget_seconds:
            entry.blocks, entry.blocked_until = 0, 0.0  # no wrong password for long: afresh
            entry.failures.clear()
        if entry is None:
            while len(self._entries) >= self.limits.users:
                self._entries.popitem(last=False)
            entry = self._entries[user] = _Entry()
        self._entries.move_to_end(user)
        return entry
