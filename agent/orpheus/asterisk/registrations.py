"""How many phones and trunks are registered now (the dashboard's GET /api/v1/status figure),
from Asterisk's console, asked at most once per `max_age` seconds: a dashboard refreshes every
few seconds, and each answer costs three console commands."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from orpheus.asterisk.control import AsteriskUnavailable
from orpheus.asterisk.parsers import Contacts, PjsipState

Counts = dict[str, int]


def count(state: PjsipState) -> Counts:
    """Phones: endpoints (not trunks) with a reachable contact; trunks: registered ones."""
    trunks = set(state.registrations)
    phones = sum(
        1
        for name, aors in state.endpoint_aors.items()
        if name not in trunks and any(state.contacts.get(aor, Contacts()).reachable for aor in aors)
    )
    registered = sum(1 for status in state.registrations.values() if status == "Registered")
    return {"phones": phones, "trunks": registered, "trunks_configured": len(trunks)}


class RegistrationCounts:
    def __init__(
        self,
        ask: Callable[[], PjsipState],
        max_age: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ask = ask
        self._max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[float, Counts | None] | None = None

    def __call__(self) -> Counts | None:
        """The counts, or None while Asterisk does not answer."""
        with self._lock:
            now = self._clock()
            if self._cached is not None and now - self._cached[0] < self._max_age:
                return self._cached[1]
            try:
                counts: Counts | None = count(self._ask())
            except AsteriskUnavailable:
                counts = None
            self._cached = (now, counts)
            return counts
