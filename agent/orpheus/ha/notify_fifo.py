"""keepalived's notify FIFO: one line per state change, e.g. `INSTANCE "orpheus" MASTER 150`."""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

VRRP_STATES = ("MASTER", "BACKUP", "FAULT", "STOP")


def parse_line(line: str) -> tuple[str, str] | None:
    """('orpheus', 'MASTER') from an INSTANCE line; None for anything else."""
    words = line.split()
    if len(words) < 3 or words[0] != "INSTANCE" or words[2] not in VRRP_STATES:
        return None
    return words[1].strip('"'), words[2]


class NotifyFifoReader:
    """Reads the FIFO in a thread; opened read-write so it never sees end-of-file."""

    def __init__(self, path: Path, on_state: Callable[[str, str], None]) -> None:
        self._path = path
        self._on_state = on_state
        self._fd: int | None = None
        self._thread = threading.Thread(target=self._loop, name="ha-notify-fifo", daemon=True)

    def start(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        if self._path.exists() and not stat.S_ISFIFO(self._path.stat().st_mode):
            self._path.unlink()
        if not self._path.exists():
            os.mkfifo(self._path, 0o600)
        self._fd = os.open(self._path, os.O_RDWR)
        self._thread.start()

    def stop(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.write(self._fd, b"QUIT\n")

    def _loop(self) -> None:
        if self._fd is None:  # start() opens it before the thread starts
            raise RuntimeError("notify FIFO read before it was opened")
        with os.fdopen(self._fd, "r", buffering=1, closefd=True) as fifo:
            for line in fifo:
                if line.strip() == "QUIT":
                    return
                parsed = parse_line(line)
                if parsed is None:
                    log.debug("notify FIFO: ignoring %r", line.strip())
                    continue
                try:
                    self._on_state(*parsed)
                except Exception:
                    log.exception("notify FIFO: handling %r failed", line.strip())
