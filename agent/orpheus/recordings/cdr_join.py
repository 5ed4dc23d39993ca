"""A recording's facts joined with its call's detail record: the trunk and the call's length.

The recording's name holds what the dialplan knows at the call's start (date, parties,
direction); the trunk and the call's duration come with the CDR (cdr/), which Asterisk sends
at the hang-up, by the same unique id (the channel that runs MixMonitor is the record's).
Either may come first: a CDR whose recording is not stored yet is kept (the last few
hundred, in RAM) until the spool hands that recording on; one whose recording is stored
already is written into its facts at once. Only these two fields are copied: the CDR itself
stays encrypted (the facts, like the parties, are what the list shows without the password).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from orpheus.recordings.store import NoSuchRecording, RecordingStore

log = logging.getLogger(__name__)

KEPT = 512  # CDRs waiting for their recording: calls ending within a few polls


class CdrRecord(Protocol):
    """What is read of a call detail record (cdr/records.py's CdrRecord)."""

    @property
    def id(self) -> str: ...
    @property
    def trunk(self) -> str | None: ...
    @property
    def duration(self) -> int: ...


def call_fields(record: CdrRecord) -> dict[str, Any]:
    return {"trunk": record.trunk, "call_duration_seconds": record.duration}


class CdrJoin:
    def __init__(
        self, store: RecordingStore, others: Callable[[], list[RecordingStore]] | None = None
    ) -> None:
        self.store = store
        self._others = others or list
        self._lock = threading.Lock()
        self._waiting: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def received(self, record: CdrRecord) -> None:
        """A call's detail record (CdrFeature.received)."""
        fields = call_fields(record)
        if self._annotate(record.id, fields):
            return
        with self._lock:
            self._waiting[record.id] = fields
            while len(self._waiting) > KEPT:
                self._waiting.popitem(last=False)

    def finished(self, recording_id: str) -> None:
        """A recording just stored (before the placement moves it)."""
        with self._lock:
            fields = self._waiting.pop(recording_id, None)
        if fields is not None:
            self._annotate(recording_id, fields)

    def _annotate(self, recording_id: str, fields: dict[str, Any]) -> bool:
        for store in (self.store, *self._others()):
            try:
                store.annotate(recording_id, fields)
            except NoSuchRecording:
                continue
            except OSError as error:
                log.error("recording %s: the call's fields not written: %s", recording_id, error)
            return True
        return False
