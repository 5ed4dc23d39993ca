"""A transfer's copies written one recording ahead: while the job reads back, publishes and
(on a move) deletes recording N, a thread of its own writes and fsyncs recording N+1.

The drive's write of the next copy and its read of this one overlap instead of taking turns,
which about halves a move's time (bench/recordings.py). Nothing else changes: the job still
takes each recording's outcome in the plan's order, with the exception its first half raised
(a missing source, a skip, a full or pulled drive) raised there as it was before, and a copy
counts only once it is read back and published. At most two copies are partial at a time
(the one being read back and the one being written); a job that stops removes the one
written ahead, and the next job's start removes any a crash left (drop_copies).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType

from orpheus.storage.transfer import Copier, Outcome, Staged

Prepared = Staged | Outcome


@dataclass(frozen=True)
class _Written:
    recording_id: str
    result: Prepared | BaseException


class WriteAhead:
    """Use as a context manager; next(recording_id) is that recording's prepared copy."""

    def __init__(self, copier: Copier, ids: Sequence[str]) -> None:
        self._copier = copier
        self._ids = list(ids)
        self._results: queue.Queue[_Written | None] = queue.Queue()  # None: the last one
        # The writer may start a recording only while the job has taken every earlier one:
        # one recording ahead of the job, never more.
        self._turn = threading.Semaphore(1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._write, name="transfer-write", daemon=True)

    def __enter__(self) -> WriteAhead:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._turn.release()  # a writer waiting for its turn sees the stop
        self._thread.join()
        for item in self._drain():
            self._copier.discard(item)

    def next(self, recording_id: str) -> Prepared:
        """The prepared copy of recording_id (the next of the plan), or its exception."""
        item = self._results.get()
        if item is None or item.recording_id != recording_id:  # not reached: a bug
            raise RuntimeError(f"the transfer's writer is not at {recording_id}")
        self._turn.release()  # the next one may be written while this one is finished
        if isinstance(item.result, BaseException):
            raise item.result
        return item.result

    def _write(self) -> None:
        for recording_id in self._ids:
            self._turn.acquire()
            if self._stop.is_set():
                break
            try:
                result: Prepared | BaseException = self._copier.prepare(recording_id)
            except BaseException as error:  # noqa: BLE001 (handed to the job, raised there)
                result = error
            self._results.put(_Written(recording_id, result))
        self._results.put(None)

    def _drain(self) -> Iterator[Prepared]:
        while True:
            try:
                item = self._results.get_nowait()
            except queue.Empty:
                return
            if item is not None and not isinstance(item.result, BaseException):
                yield item.result
