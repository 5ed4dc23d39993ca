"""Which records the agent already stored, so that a record reaching it twice (over AMI and
again from the RAM spool, in either order) is stored once.

A record's key is a SHA-256 of the fields that tell two records apart (a channel's unique
id, its start and end, the number dialled, the outcome); each key is kept an hour, long
after the other path brought its copy (the spool is read every few seconds while the agent
runs, and at its start). The keys live in a root-only file in RAM beside the agent's socket
(run_dir), appended to as records are stored, so they outlive an agent restart exactly as
the spool does (both go at a reboot). A crash between storing a record and noting its key
can store that record twice; no path drops a record it has not seen stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from pathlib import Path

from orpheus.cdr.records import CdrRecord
from orpheus.files import write_file

log = logging.getLogger(__name__)

KEEP_SECONDS = 3600.0
MAX_KEYS = 100_000  # a busy Lite's hour is a few thousand; a file past this is cut
_KEY_LENGTH = 64


def record_key(record: CdrRecord) -> str:
    fields = [record.id, record.start, record.end, record.dst, record.disposition,
              record.billsec]  # fmt: skip
    return hashlib.sha256(json.dumps(fields).encode()).hexdigest()


class SeenRecords:
    """path None: in memory only (unit tests)."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._keys: dict[str, float] = self._load()

    @staticmethod
    def _now() -> float:
        return time.monotonic()  # the boot's clock: the file is in RAM, gone at a reboot

    def _load(self) -> dict[str, float]:
        keys: dict[str, float] = {}
        if self._path is None:
            return keys
        try:
            lines = self._path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return keys
        for line in lines[-MAX_KEYS:]:
            stamp, _, key = line.partition(" ")
            try:
                when = float(stamp)
            except ValueError:
                continue
            if len(key) == _KEY_LENGTH:
                keys[key] = when
        return keys

    def __contains__(self, record: CdrRecord) -> bool:
        with self._lock:
            return record_key(record) in self._keys

    def add(self, record: CdrRecord) -> None:
        key, now = record_key(record), self._now()
        with self._lock:
            self._keys[key] = now
            if self._path is None:
                return
            try:
                descriptor = os.open(
                    self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600
                )
                try:
                    os.write(descriptor, f"{now:.3f} {key}\n".encode())
                finally:
                    os.close(descriptor)
            except OSError as error:  # kept in memory: only a restart may store it twice
                log.warning("call detail records: %s not noted: %s", self._path, error)

    def prune(self) -> None:
        """Keys older than KEEP_SECONDS forgotten, the file rewritten when any was."""
        cutoff = self._now() - KEEP_SECONDS
        with self._lock:
            old = [key for key, when in self._keys.items() if when < cutoff]
            for key in old:
                del self._keys[key]
            if not old or self._path is None:
                return
            text = "".join(f"{when:.3f} {key}\n" for key, when in self._keys.items())
            try:
                write_file(self._path, text, mode=0o600)
            except OSError as error:
                log.warning("call detail records: %s not rewritten: %s", self._path, error)
