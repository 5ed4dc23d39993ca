"""Configuration that landed from the peer: the listeners that put it to use (the PBX reloads
Asterisk and rereads its store), called off the pair channel's thread, in order, coalesced.

A push returns as soon as its files are written; several pushes that land while a listener
is still busy are handed over together, as one sorted list of absolute paths.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

log = logging.getLogger(__name__)

SyncListener = Callable[[list[Path]], None]


class LandedChanges:
    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir
        self._listeners: list[SyncListener] = []
        self._pending: set[str] = set()
        self._busy = False
        self._condition = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="ha-landed", daemon=True)

    def add_listener(self, listener: SyncListener) -> None:
        self._listeners.append(listener)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._condition:
            self._stopping = True
            self._condition.notify_all()

    def landed(self, relative_paths: Iterable[str]) -> None:
        """Paths (relative to the data partition) a push just wrote or deleted."""
        with self._condition:
            self._pending.update(relative_paths)
            if self._pending:
                self._condition.notify_all()

    def idle(self) -> bool:
        """Nothing waiting and no listener running (tests and the benchmark poll this)."""
        with self._condition:
            return not self._pending and not self._busy

    def _loop(self) -> None:
        while True:
            with self._condition:
                while not self._pending and not self._stopping:
                    self._condition.wait()
                if self._stopping:
                    return
                batch, self._pending = sorted(self._pending), set()
                self._busy = True
            try:
                self._notify([self._data_dir / path for path in batch])
            finally:
                with self._condition:
                    self._busy = False

    def _notify(self, paths: list[Path]) -> None:
        for listener in self._listeners:
            try:
                listener(paths)
            except Exception:  # a listener's failure must not stop later syncs
                log.exception("putting synced configuration to use failed")
