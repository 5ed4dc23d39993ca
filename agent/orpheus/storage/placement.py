"""Each finished recording moved from internal to the target the recording settings choose.

Asterisk never records onto a USB drive (or a NAS): it records into RAM, the spool encrypts
onto the data partition (internal), and when the recording is finished the spool hands its id
here. The PBX's recording settings choose where recordings go (`storage`: internal, usb or
nas); `usb` and `nas` mean the storage's default target (`PUT /api/v1/storage/default`),
which must be a USB drive or a NAS (nas-<word>) respectively. A recording
for another target is pending: its id is kept in a small file of the agent's state (so an
agent restarted with pending ones moves them after its start), and one worker moves the
pending ones, oldest first, one at a time, with the verified copy of transfer.py (SHA-256
read back from the drive before the source is deleted); each move is audited.

When the target is missing, unreachable, read-only or full (or fills up mid-move: the copy
is dropped, the source is intact), the recordings stay on internal, counted as pending, and
an alarm says so; the worker tries again every few seconds (and at once when a drive is
plugged in or the default changes) and the alarm goes once they are moved. Past the pending
quota a second alarm says that recording goes on on internal until the data partition is
full: a recording is never deleted to make room.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from orpheus import files
from orpheus.audit.log import AuditEntry, AuditSink
from orpheus.files import is_disk_full
from orpheus.recordings.names import is_recording_id
from orpheus.recordings.store import NoSuchRecording, RecordingStore
from orpheus.storage.nas import BoundedStore
from orpheus.storage.registry import AGENT_USER, NoSuchTarget, StorageTargets
from orpheus.storage.targets import INTERNAL, Target
from orpheus.storage.transfer import Copier, Side, Skipped, VerifyFailed

log = logging.getLogger(__name__)

PENDING_FILE = "recordings-pending.json"
MIN_QUOTA_BYTES = 64 * 1024 * 1024
MAX_QUOTA_BYTES = 1024**4
MAX_PENDING = 100_000  # ids kept (a year of short calls); more are still moved by a job
Settings = Callable[[], Mapping[str, Any]]  # the PBX's `recording` settings record
Claimed = Callable[[str], frozenset[str]]
Busy = Callable[[str], str | None]


def _nothing_claimed(target: str) -> frozenset[str]:
    return frozenset()


def _not_busy(target: str) -> str | None:
    return None


def mb(count: int) -> str:
    return f"{count / 1_000_000:.1f} MB"


def bounded_quota(quota_bytes: int) -> int:
    return max(MIN_QUOTA_BYTES, min(MAX_QUOTA_BYTES, int(quota_bytes)))


class Placement:
    def __init__(
        self,
        targets: StorageTargets,
        settings: Settings,
        pending_file: Path,
        audit: AuditSink | None = None,
        quota_bytes: int = 4 * 1000**3,
        retry_seconds: float = 30.0,
    ) -> None:
        self.targets = targets
        self._settings = settings
        self._pending_file = pending_file
        self._audit = audit
        self.quota_bytes = bounded_quota(quota_bytes)
        self._retry = retry_seconds
        self._lock = threading.Lock()  # the pending ids and what is being moved
        self._work = threading.Lock()  # one pass, so one move, at a time
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._pending: list[str] = self._load()
        self.moving: tuple[str, str] | None = None  # (id, destination) of the move under way
        self.waiting: str = ""  # why the pending ones wait (the alarm), "" when they do not
        self.claimed: Claimed = _nothing_claimed  # the transfer jobs' recordings (wiring)
        self.busy: Busy = _not_busy  # a transfer job using a target (wiring)

    # The pending ids, kept across restarts.

    def _load(self) -> list[str]:
        try:
            raw = json.loads(self._pending_file.read_text())
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as error:
            log.error("%s unreadable (%s): no recording is pending", self._pending_file, error)
            return []
        ids = raw.get("pending") if isinstance(raw, dict) else None
        if not isinstance(ids, list):
            return []
        return list(dict.fromkeys(i for i in ids if isinstance(i, str) and is_recording_id(i)))

    def _save(self) -> None:
        self._pending_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        text = json.dumps({"pending": self._pending}) + "\n"
        files.write_file(self._pending_file, text, mode=0o600)

    def pending(self) -> list[str]:
        with self._lock:
            return list(self._pending)

    def _drop(self, recording_id: str) -> None:
        with self._lock:
            if recording_id in self._pending:
                self._pending.remove(recording_id)
                self._save()

    # What the spool and the storage call.

    def finished(self, recording_id: str) -> None:
        """A recording the spool has just stored on internal (spool.finished)."""
        if not is_recording_id(recording_id) or self.destination()[0] == INTERNAL:
            return
        if not self.targets.get(INTERNAL).store.audio_path(recording_id).exists():
            return  # lost (no privacy key): nothing to move
        with self._lock:
            if recording_id in self._pending or len(self._pending) >= MAX_PENDING:
                return
            self._pending.append(recording_id)
            try:
                self._save()
            except OSError as error:  # the data partition full: moved while the agent runs
                log.error("pending recordings not saved: %s", error)
        self._wake.set()

    def wake(self) -> None:
        """A drive plugged in or a default changed: the pending ones are tried at once."""
        self._wake.set()

    def destination(self) -> tuple[str | None, str]:
        """The target the settings choose, or None and why none can be."""
        try:
            storage = str(self._settings().get("storage", INTERNAL))
        except (sqlite3.Error, ValueError, AttributeError) as error:  # the PBX store unreadable
            return None, f"the recording settings cannot be read ({error})"
        if storage == INTERNAL:
            return INTERNAL, ""
        default = self.targets.default()
        kind = "NAS" if storage == "nas" else "USB drive"
        if not default.startswith("nas-" if storage == "nas" else "usb-"):
            return None, (
                f"the recording settings choose a {kind} but none is the default storage "
                "target (PUT /api/v1/storage/default)"
            )
        return default, ""

    # The worker.

    def start(self) -> None:
        self._stopping.clear()
        self._wake.set()  # the ones an earlier run left pending, at once
        self._thread = threading.Thread(target=self._run, name="placement", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._retry)
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                self.place_pending()
            except Exception:  # logged, tried again at the next wake
                log.exception("placing recordings failed")

    def place_pending(self) -> int:
        """Moves the pending recordings, oldest first; how many were moved."""
        with self._work:
            if not self.pending():
                self.waiting = ""
                return 0
            name, reason = self.destination()
            if name == INTERNAL:  # the settings went back to internal: they are in place
                with self._lock:
                    self._pending.clear()
                    self._save()
                self.waiting = ""
                return 0
            if name is None:
                self.waiting = reason
                return 0
            target = self._usable(name)
            if target is None:
                return 0
            if self.busy(INTERNAL) or self.busy(name):  # a job's copy must not be dropped
                return 0
            return self._move_all(target)

    def _usable(self, name: str) -> Target | None:
        try:
            target = self.targets.get(name)
        except NoSuchTarget:
            self.waiting = f"{name} is not plugged in"
            return None
        state = target.measure()
        if state["state"] != "mounted":
            message = f" ({state['message']})" if state["message"] else ""
            self.waiting = f"{name} is {state['state']}{message}"
            return None
        return target

    def _move_all(self, target: Target) -> int:
        internal = self.targets.get(INTERNAL)
        copier = Copier(Side(INTERNAL, internal.store), Side(target.name, target.store), _ignore)
        target.store.drop_copies()  # an interrupted move's partial copy (no job runs)
        moved, problem = 0, ""
        for recording_id in self.pending():
            if self._stopping.is_set():
                break
            if recording_id in self.claimed(INTERNAL):  # a transfer job takes it meanwhile
                continue
            with self._lock:
                self.moving = (recording_id, target.name)
            try:
                size = _size(internal, recording_id)
                outcome = copier.copy(recording_id)
                copier.delete_source(recording_id)
            except NoSuchRecording:  # deleted, or moved by a job, meanwhile
                self._drop(recording_id)
                continue
            except Skipped as error:  # kept pending (a conflict is the admin's to settle)
                log.error("recording %s not moved: %s", recording_id, error)
                problem = str(error)
                continue
            except VerifyFailed as error:
                log.error("%s", error)
                problem = str(error)
                break
            except OSError as error:
                problem = self._stopped_by(target, error)
                log.error("recording %s not moved to %s: %s", recording_id, target.name, problem)
                break
            finally:
                with self._lock:
                    self.moving = None
            _sync_directory(internal.recordings_dir)  # the source's deletion, before its id goes
            self._drop(recording_id)
            moved += 1
            self._record(recording_id, target.name, size, outcome)
        self.waiting = problem
        return moved

    @staticmethod
    def _stopped_by(target: Target, error: OSError) -> str:
        if is_disk_full(error):
            return f"{target.name} is full"
        if not target.reachable():
            return f"{target.name} went away"
        return f"{target.name} failed: {error.strerror or error}"

    def _record(self, recording_id: str, destination: str, size: int, outcome: str) -> None:
        log.info("recording %s moved to %s (%s)", recording_id, destination, mb(size))
        if self._audit is None:
            return
        entry = AuditEntry(
            "recording.placed",
            f"recording {recording_id}",
            AGENT_USER,
            {"target": INTERNAL},
            {"target": destination, "bytes": size, "verified": "sha256", "outcome": outcome},
        )
        try:
            self._audit.append(entry)
        except (OSError, sqlite3.Error) as error:
            log.error("could not audit the move of %s: %s", recording_id, error)

    # What the status, the storage list and the recordings list show.

    def pending_usage(self) -> tuple[int, int]:
        internal = self.targets.get(INTERNAL)
        ids = self.pending()
        return len(ids), sum(_size(internal, i) for i in ids)

    def summary(self) -> dict[str, Any]:
        count, size = self.pending_usage()
        moving = self.moving
        return {
            "destination": self.destination()[0],
            "pending": count,
            "pending_bytes": size,
            "quota_bytes": self.quota_bytes,
            "waiting": self.waiting or None,
            "moving": moving[0] if moving else None,
        }

    def alarms(self) -> list[str]:
        count, size = self.pending_usage()
        if not count:
            return []
        found = []
        if self.waiting:
            found.append(
                f"{count} recording(s) ({mb(size)}) wait on internal: {self.waiting}; they "
                f"move by themselves once it can take them"
            )
        if size > self.quota_bytes:
            found.append(
                f"recordings waiting on internal pass their quota ({mb(size)} of "
                f"{mb(self.quota_bytes)}): calls are still recorded on internal until the data "
                f"partition is full; none is deleted to make room"
            )
        return found

    def other_stores(self) -> list[RecordingStore]:
        """The stores of the targets other than internal, reachable now (the recordings
        list shows what was moved there); a NAS's is read with a bound (a dead one times
        out instead of holding the request)."""
        return [
            BoundedStore(t.recordings_dir) if t.kind == "nas" else t.store
            for t in self.targets.targets()
            if t.kind != INTERNAL and t.reachable()
        ]

    def using(self, name: str) -> str | None:
        """Why a target may not be ejected now: a recording being moved to it, or None."""
        moving = self.moving
        if moving and moving[1] == name:
            return f"recording {moving[0]} is being moved to it"
        return None

    def where(self, recording_id: str) -> str | None:
        """The target a recording is being moved to now, or None."""
        moving = self.moving
        return moving[1] if moving and moving[0] == recording_id else None


def _sync_directory(directory: Path) -> None:
    try:
        descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError as error:
        log.warning("%s not synced: %s", directory, error)
    finally:
        os.close(descriptor)


def _ignore(count: int) -> None:
    pass


def _size(target: Target, recording_id: str) -> int:
    try:
        return target.store.audio_path(recording_id).stat().st_size
    except (OSError, NoSuchRecording):
        return 0
