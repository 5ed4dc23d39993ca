"""A job: one long action with an id, a kind, progress that only grows, a log, and an end.

A job is `running` until it ends, once, as `succeeded`, `failed` or `refused` with a message.
Its work (see registry.py) raises Refusal or Failure to end it with that message; any other
exception ends it failed as well.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Literal

JobState = Literal["running", "succeeded", "failed", "refused"]

# One sequence for the agent's life: an id names one job even across registries.
_ids = itertools.count(1)
_ids_lock = threading.Lock()


def _next_id() -> int:
    with _ids_lock:
        return next(_ids)


class Busy(Exception):
    """A job was not started: a concurrency rule allows no other job of its kind now."""


class Refusal(Exception):
    """Raised by a job's work: the job ends refused (nothing was changed); the message is for
    the admin."""


class Failure(Exception):
    """Raised by a job's work: the job ends failed with this message (an expected failure,
    logged without a traceback)."""


def failure_reason(error: BaseException) -> str:
    """The one line a job ends with for an exception its work raised."""
    if isinstance(error, Refusal | Failure):
        return str(error)
    text = str(error)
    return f"unexpected error: {type(error).__name__}" + (f": {text}" if text else "")


@dataclass
class Job:
    kind: str  # what the job does: "install", later "format", "provision", ...
    source: str = ""  # what it works on: a file, a URL, a device
    id: int = field(default_factory=_next_id)
    state: JobState = "running"
    progress: int = 0  # percent, only grows
    message: str = "starting"
    log: list[str] = field(default_factory=list)
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    # The job's own thread writes while API threads read.
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    @property
    def running(self) -> bool:
        return self.state == "running"

    def step(self, progress: int, message: str) -> None:
        """Reports progress (a lower figure than before keeps the higher one); a new message
        goes to the log. An ended job keeps its end."""
        with self._lock:
            if not self.running:
                return
            self.progress = max(self.progress, min(progress, 100))
            if message != self.message:
                self.message = message
                self.log.append(f"{self.progress:3d}% {message}")

    def finish(self, state: JobState, message: str) -> bool:
        """Ends the job; False (and nothing changed) if it had already ended."""
        if state == "running":
            raise ValueError("a job ends as succeeded, failed or refused")
        with self._lock:
            if not self.running:
                return False
            if state == "succeeded":
                self.progress = 100
            self.state = state
            self.message = message
            self.log.append(f"{state}: {message}")
            self.finished_at = time.time()
            return True

    def as_dict(self, *, log: bool = True) -> dict[str, object]:
        """The job's JSON (GET /api/v1/jobs/<id>, the job in GET /api/v1/update)."""
        with self._lock:
            answer: dict[str, object] = {
                "kind": self.kind,
                "source": self.source,
                "id": self.id,
                "state": self.state,
                "progress": self.progress,
                "message": self.message,
                "log": list(self.log),
                "started_at": self.started_at,
                "finished_at": self.finished_at,
            }
        if not log:
            del answer["log"]
        return answer
