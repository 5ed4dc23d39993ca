"""Polls Asterisk in the background so that no API request ever waits on it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from orpheus.asterisk.control import AsteriskFacts, AsteriskUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AsteriskState:
    running: bool
    version: str | None = None
    uptime_seconds: int | None = None
    error: str | None = None
    checked_at: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class AsteriskMonitor:
    def __init__(self, query: Callable[[], AsteriskFacts], interval: float) -> None:
        self._query = query
        self._interval = interval
        self._state = AsteriskState(running=False, error="not checked yet")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="asterisk-monitor", daemon=True)
        self.last_loop_at = time.monotonic()

    @property
    def state(self) -> AsteriskState:
        return self._state

    def refresh(self) -> AsteriskState:
        try:
            facts = self._query()
        except AsteriskUnavailable as error:
            if self._state.running:
                log.warning("Asterisk stopped answering: %s", error)
            self._state = AsteriskState(running=False, error=str(error), checked_at=time.time())
        else:
            if not self._state.running:
                log.info("Asterisk %s is answering", facts.version)
            self._state = AsteriskState(
                running=True,
                version=facts.version,
                uptime_seconds=facts.uptime_seconds,
                checked_at=time.time(),
            )
        return self._state

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.refresh()
            self.last_loop_at = time.monotonic()
            self._stop.wait(self._interval)
