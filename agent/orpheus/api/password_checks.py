"""Password checks bounded in concurrency: each is a scrypt of 16 MiB and ~50 ms, so a burst
of guesses on many connections must not run them all at once (memory, and every worker busy).

At most `concurrent` checks run; a request that finds them all busy waits up to
`wait_seconds` for one, then is answered 503 with Retry-After.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class ChecksBusy(RuntimeError):
    """Every password check slot stayed busy for the whole wait."""


class PasswordCheckGate:
    def __init__(self, concurrent: int = 2, wait_seconds: float = 5.0) -> None:
        self.concurrent = concurrent
        self.wait_seconds = wait_seconds
        self._slots = threading.BoundedSemaphore(concurrent)

    def run(self, check: Callable[[], bool]) -> bool:
        if not self._slots.acquire(timeout=self.wait_seconds):
            raise ChecksBusy(f"{self.concurrent} password checks already running; try again")
        try:
            return check()
        finally:
            self._slots.release()
