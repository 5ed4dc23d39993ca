"""A capture as a job of the agent: tcpdump started, watched until its duration ends, it is
asked to stop or it exits, and the capture's state written at the end. Progress is the share
of the duration gone; the message is what was captured so far."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from orpheus.capture.runners import RunFailed, Running
from orpheus.capture.store import Capture, CaptureStore
from orpheus.jobs.model import Failure, Job

POLL_SECONDS = 0.5
KIND = "capture"


def watch(
    job: Job,
    store: CaptureStore,
    capture: Capture,
    running: Running,
    stopping: threading.Event,
    clock: Callable[[], float] = time.monotonic,
    also: Callable[[], str] = str,
) -> str:
    """The job's work once tcpdump runs; returns the message it succeeds with. also: what
    else the capture took (Asterisk's decrypted SIP), said after the bytes captured."""
    started = clock()
    why = "its duration ended"
    result = running.result()
    while result is None:
        elapsed = clock() - started
        if stopping.is_set() or elapsed >= capture.duration_seconds:
            why = "stopped" if stopping.is_set() else why
            try:
                running.stop()
            except RunFailed as error:
                _end(store, capture, "failed", str(error))
                raise Failure(str(error)) from error
            result = running.result() or ""
            break
        job.step(int(100 * elapsed / capture.duration_seconds), _captured(store, capture, also))
        stopping.wait(POLL_SECONDS)
        result = running.result()
    else:
        why = "tcpdump ended"
    if result:
        _end(store, capture, "failed", result)
        raise Failure(result)
    message = f"{why}: {_captured(store, capture, also)}"
    _end(store, capture, "finished", message)
    return message


def _captured(store: CaptureStore, capture: Capture, also: Callable[[], str]) -> str:
    extra = also()
    return f"{store.size(capture.id)} bytes captured" + (f", {extra}" if extra else "")


def _end(store: CaptureStore, capture: Capture, state: str, message: str) -> None:
    current = store.get(capture.id) or capture
    if store.directory(capture.id).is_dir():  # deleted meanwhile: nothing to write
        store.update(current, state=state, finished_at=time.time(), message=message)
