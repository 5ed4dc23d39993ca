"""The slots as RAUC last described them, kept by the agent so that no request waits on RAUC.

RAUC answers no other D-Bus method while it installs, and a call to a busy or stuck daemon
waits for its timeout: GET /api/v1/update and SNMP read this view instead. The agent's own
threads refresh it (at start, every few seconds from the fallback keeper, after a mark and
after every job); a refresh that fails keeps the last answer and says when it was taken.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from orpheus.dbus.rauc import RaucError

log = logging.getLogger(__name__)

RaucSlots = dict[str, dict[str, Any]]
StatusCall = Callable[[], tuple[RaucSlots, str]]  # the slots and the primary one's name


class RaucView:
    def __init__(self, status: StatusCall, mark: Callable[[str, str], str]) -> None:
        self._status = status
        self._mark = mark
        self._lock = threading.Lock()
        self._last: tuple[RaucSlots, str] | None = None
        self._taken_at = 0.0
        self.error: str | None = None

    def refresh(self) -> bool:
        """Asks RAUC now (from the agent's threads only); False if it did not answer."""
        try:
            answer = self._status()
        except RaucError as error:
            self.error = str(error)
            return False
        with self._lock:
            self._last = answer
            self._taken_at = time.monotonic()
            self.error = None
        return True

    def current(self) -> tuple[RaucSlots, str]:
        """The last answer; RaucError if RAUC has never answered. Until its first answer
        (RAUC is started on demand, slowly at boot) the caller asks it: nothing installs yet,
        so nothing makes RAUC busy."""
        if self._last is None:
            self.refresh()
        with self._lock:
            if self._last is None:
                raise RaucError(self.error or "no answer from RAUC yet")
            slots, primary = self._last
            return {name: dict(info) for name, info in slots.items()}, primary

    def age_seconds(self) -> float | None:
        with self._lock:
            return None if self._last is None else time.monotonic() - self._taken_at

    def slot(self, bootname: str) -> dict[str, Any] | None:
        """The slot RAUC calls by that boot name (A, B), with its name as "slot"."""
        slots, _primary = self.current()
        for name, info in slots.items():
            if info.get("bootname") == bootname:
                return {**info, "slot": name}
        return None

    def mark(self, state: str, slot: str) -> str:
        """RAUC's mark (good, bad, active on booted or other), then a fresh view."""
        message = self._mark(state, slot)
        self.refresh()
        return message
