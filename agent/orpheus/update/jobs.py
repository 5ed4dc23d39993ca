"""One update job at a time, with progress that the API and the CLI can follow."""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import asdict, dataclass, field

_ids = itertools.count(1)


class Busy(Exception):
    pass


@dataclass
class Job:
    kind: str
    source: str
    id: int = field(default_factory=lambda: next(_ids))
    state: str = "running"  # running, succeeded, failed, refused
    progress: int = 0
    message: str = "starting"
    log: list[str] = field(default_factory=list)
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None

    def step(self, progress: int, message: str) -> None:
        self.progress = max(self.progress, min(progress, 100))
        if message != self.message:
            self.message = message
            self.log.append(f"{self.progress:3d}% {message}")

    def finish(self, state: str, message: str) -> None:
        if state == "succeeded":
            self.progress = 100
        self.state = state
        self.message = message
        self.log.append(f"{state}: {message}")
        self.finished_at = time.time()

    @property
    def running(self) -> bool:
        return self.state == "running"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class JobSlot:
    """Holds the current (or last) job; refuses a second one while one runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.current: Job | None = None

    def claim(self, job: Job) -> Job:
        with self._lock:
            if self.current is not None and self.current.running:
                running = self.current
                raise Busy(
                    f"an update job is already running (job {running.id}, {running.kind}, "
                    f"{running.progress}%: {running.message})"
                )
            self.current = job
            return job
