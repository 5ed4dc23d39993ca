"""Wrong admin passwords, limited per source address (a PBX is brute-forced for toll fraud).

After `failures` wrong passwords within `window_seconds`, an address is blocked: every request
from it is refused (429 with Retry-After) before its password is looked at, so a blocked
address costs no scrypt run, and the right password from it is refused too until the block
ends. Each further wrong password after a block blocks again for twice as long (1 s doubling
up to 15 min); an address quiet for `forget_seconds` after its block, or that gives the right
password, starts afresh. The limit is per address, never per account: a stranger cannot lock
the admin out from elsewhere. IPv6 addresses count per /64 (one host holds a whole /64).
The table is capped: past `addresses` entries the least recently seen is dropped.
"""

from __future__ import annotations

import collections
import ipaddress
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoginLimits:
    failures: int = 5
    window_seconds: float = 60.0
    first_block_seconds: float = 1.0
    max_block_seconds: float = 15 * 60.0
    forget_seconds: float = 15 * 60.0
    addresses: int = 4096


@dataclass(frozen=True)
class Block:
    """An address blocked: logged, and sent to on_block (the audit log), once per series."""

    address: str
    wrong_passwords: int
    seconds: float


@dataclass
class _Entry:
    failures: collections.deque[float] = field(default_factory=collections.deque)
    blocks: int = 0  # blocks so far in this series: the next one lasts twice as long
    blocked_until: float = 0.0
    wrong_passwords: int = 0


class LoginLimiter:
    def __init__(
        self,
        limits: LoginLimits = LoginLimits(),
        *,
        clock: Callable[[], float] = time.monotonic,
        on_block: Callable[[Block], None] | None = None,
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._on_block = on_block
        self._entries: collections.OrderedDict[str, _Entry] = collections.OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, address: str) -> int | None:
        """Whole seconds until the address may try again; None when it is not blocked."""
        now = self._clock()
        with self._lock:
            entry = self._current(address_key(address), now)
            if entry is None or entry.blocked_until <= now:
                return None
            return max(1, math.ceil(entry.blocked_until - now))

    def failed(self, address: str) -> None:
        """Counts a wrong password from the address; may block it."""
        now = self._clock()
        key = address_key(address)
        with self._lock:
            entry = self._current(key, now) or self._insert(key)
            entry.wrong_passwords += 1
            failures, window = entry.failures, self.limits.window_seconds
            failures.append(now)
            while failures and failures[0] <= now - window:
                failures.popleft()
            if entry.blocks == 0 and len(failures) < self.limits.failures:
                return
            seconds = min(
                self.limits.first_block_seconds * 2**entry.blocks, self.limits.max_block_seconds
            )
            entry.blocks += 1
            entry.blocked_until = now + seconds
            failures.clear()
            first = entry.blocks == 1
            block = Block(key, entry.wrong_passwords, seconds)
        if not first:
            return
        log.warning(
            "address %s blocked after %d wrong admin passwords (for %g s, doubling while "
            "wrong passwords go on)", block.address, block.wrong_passwords, block.seconds,
        )  # fmt: skip
        if self._on_block is not None:  # outside the lock: it writes to disk
            self._on_block(block)

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._entries.pop(address_key(address), None)

    def tracked(self) -> int:
        with self._lock:
            return len(self._entries)

    def _current(self, key: str, now: float) -> _Entry | None:
        """The address's entry, or None (and it is forgotten) when it has gone quiet."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        last = max(entry.failures[-1] if entry.failures else 0.0, entry.blocked_until)
        quiet = self.limits.forget_seconds if entry.blocks else self.limits.window_seconds
        if now - last > quiet:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry

    def _insert(self, key: str) -> _Entry:
        while len(self._entries) >= self.limits.addresses:
            self._entries.popitem(last=False)
        entry = self._entries[key] = _Entry()
        return entry


def address_key(address: str) -> str:
    """An IPv4 address as is (also when IPv4-mapped), an IPv6 address as its /64."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64] or "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)
