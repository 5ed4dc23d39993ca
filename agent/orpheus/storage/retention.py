"""Retention: per-target limits by age and by size, kept by deleting the oldest recordings.

Each target may have a max_age_days and a max_bytes (None: no limit), kept with the storage
settings (registry.py). A sweep runs every SWEEP_SECONDS and soon after a transfer or a
recording ends (wake(): coalesced, at most one sweep per MIN_GAP_SECONDS); a target with no
limit is not even read. It deletes, oldest first, the recordings older than max_age_days,
then more of the oldest until the recordings' bytes (the .age files, as /api/v1/storage
counts them) are within max_bytes. Each deletion is audited with the recording's id and why.

Nothing is rewritten: the sweep reads the folder and each recording's facts (a few hundred
bytes, for its date) and unlinks; the settings file is written only when a limit changes.

A drive is hostile: the recordings' folder is opened without following a link (a folder
that is a link is left alone: retention never leaves the target's directory), every name
is unlinked relative to that descriptor, and only regular files count: a link, FIFO or
directory named like a recording is logged and left, never deleted nor deleted through. A
recording whose date cannot be read is dated by its file's modification time.

A recording a running copy or move takes (its plan's ids, transfer_feature.py) is never
deleted, checked again just before each unlink; while a transfer uses a target the size
limit waits for its end (the sweep after it), since the recordings it moves away free space
by themselves; the age limit still applies to the recordings it does not take.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import json
import logging
import os
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from orpheus.audit.log import AuditEntry, AuditSink
from orpheus.recordings.names import is_recording_id
from orpheus.recordings.selection import started_at
from orpheus.recordings.store import AUDIO_SUFFIX, FACTS_SUFFIX, MAX_FACTS_BYTES
from orpheus.storage.retention_limits import Limits
from orpheus.storage.targets import Target

if TYPE_CHECKING:
    from orpheus.storage.registry import StorageTargets

log = logging.getLogger(__name__)

AGENT_USER = "agent"
SWEEP_SECONDS = 600.0
MIN_GAP_SECONDS = 30.0
_DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC

# The ids a running transfer takes on a target (transfer_feature.TransferFeature.claimed).
Claimed = Callable[[str], frozenset[str]]


def _nothing_claimed(target: str) -> frozenset[str]:
    return frozenset()


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass(frozen=True)
class Held:
    """A recording on a target as retention sees it."""

    recording_id: str
    started: datetime.datetime
    size: int


@dataclass(frozen=True)
class Deletion:
    target: str
    recording_id: str
    started: str
    size: int
    reason: str


def due(
    held: list[Held],
    limits: Limits,
    now: datetime.datetime,
    kept: frozenset[str] = frozenset(),
    size_limit: bool = True,
) -> list[tuple[Held, str]]:
    """What the limits delete, oldest first, with why: the recordings older than the age
    limit, then the oldest others until the bytes fit; kept ids are never taken (they
    still count: the size limit goes on to the next oldest)."""
    ordered = sorted(held, key=lambda h: (h.started, h.recording_id))
    total = sum(h.size for h in ordered)
    chosen: list[tuple[Held, str]] = []
    younger = []
    for one in ordered:
        if (
            limits.max_age_days is not None
            and one.recording_id not in kept
            and one.started < now - datetime.timedelta(days=limits.max_age_days)
        ):
            chosen.append((one, f"older than {limits.max_age_days} day(s)"))
            total -= one.size
        else:
            younger.append(one)
    if limits.max_bytes is None or not size_limit:
        return chosen
    for one in younger:
        if total <= limits.max_bytes:
            break
        if one.recording_id in kept:
            continue
        chosen.append((one, f"{total} bytes of recordings, over the {limits.max_bytes} limit"))
        total -= one.size
    return chosen


class Sweeper:
    """Keeps every target within its limits: in a thread, and on demand (sweep())."""

    def __init__(
        self,
        targets: StorageTargets,
        audit: AuditSink | None = None,
        interval: float = SWEEP_SECONDS,
        min_gap: float = MIN_GAP_SECONDS,
        now: Callable[[], datetime.datetime] = _now,
    ) -> None:
        self.targets = targets
        self.claimed: Claimed = _nothing_claimed  # set once the transfers exist (wiring)
        self.busy: Callable[[str], str | None] = lambda name: None
        self._audit = audit
        self._interval = interval
        self._min_gap = min_gap
        self._now = now
        self._lock = threading.Lock()  # one sweep at a time
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # The thread.

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="retention", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def wake(self) -> None:
        """A transfer or a recording ended: a sweep soon (cheap; coalesced)."""
        self._wake.set()

    def _run(self) -> None:
        # Not at once: an interrupted transfer is resumed (its ids claimed) at the start.
        self._stopping.wait(self._min_gap)
        while not self._stopping.is_set():
            try:
                self.sweep()
            except Exception:  # the thread must go on: logged, the next sweep comes
                log.exception("retention sweep failed")
            self._wake.wait(self._interval)
            self._wake.clear()
            self._stopping.wait(self._min_gap)

    # A sweep.

    def sweep(self) -> list[Deletion]:
        deleted: list[Deletion] = []
        with self._lock:
            for target in self.targets.targets():
                limits = self.targets.retention(target.name)
                if not limits.unlimited:
                    deleted += self.sweep_target(target, limits)
        return deleted

    def sweep_target(self, target: Target, limits: Limits) -> list[Deletion]:
        if not target.reachable() or target.read_only:
            return []
        try:
            if target.kind == "nas":  # its cached, bounded measure: no statvfs on a dead NAS
                if target.measure()["state"] == "read-only":
                    return []
            elif os.statvfs(target.root).f_flag & os.ST_RDONLY:
                return []
            descriptor = os.open(target.recordings_dir, _DIRECTORY_FLAGS)
        except FileNotFoundError:
            return []
        except OSError as error:
            if error.errno in (errno.ELOOP, errno.ENOTDIR):
                log.warning("%s: %s is not a folder: retention leaves it", target.name,
                            target.recordings_dir.name)  # fmt: skip
            else:
                log.error("%s: retention cannot read its recordings: %s", target.name, error)
            return []
        try:
            return self._sweep(target, limits, descriptor)
        finally:
            os.close(descriptor)

    def _sweep(self, target: Target, limits: Limits, directory: int) -> list[Deletion]:
        held = list(_held(target.name, directory))
        in_use = self.busy(target.name) is not None
        chosen = due(held, limits, self._now(), self.claimed(target.name), not in_use)
        deleted = []
        for one, reason in chosen:
            if one.recording_id in self.claimed(target.name):  # a transfer took it meanwhile
                continue
            try:
                if not _unlink_recording(directory, one.recording_id):
                    continue
            except OSError as error:
                log.error("%s: retention could not delete %s: %s", target.name,
                          one.recording_id, error)  # fmt: skip
                continue
            deletion = Deletion(
                target.name, one.recording_id, one.started.isoformat(), one.size, reason
            )
            log.info("%s: recording %s deleted by retention: %s", target.name,
                     one.recording_id, reason)  # fmt: skip
            self._record(deletion, limits)
            deleted.append(deletion)
        return deleted

    def _record(self, deletion: Deletion, limits: Limits) -> None:
        if self._audit is None:
            return
        before = {"target": deletion.target, "started": deletion.started, "bytes": deletion.size}
        after = {"reason": deletion.reason, "retention": limits.as_dict()}
        entry = AuditEntry(
            "recording.retention", f"recording {deletion.recording_id}", AGENT_USER, before, after
        )
        try:
            self._audit.append(entry)
        except (OSError, sqlite3.Error) as error:
            log.error("could not audit the retention of %s: %s", deletion.recording_id, error)


def _held(target: str, directory: int) -> Iterator[Held]:
    """The finished recordings in the folder (regular .age files with a checked id)."""
    with os.scandir(directory) as entries:
        names = [entry.name for entry in entries]
    for name in names:
        recording_id = name.removesuffix(AUDIO_SUFFIX)
        if recording_id == name or not is_recording_id(recording_id):
            continue
        try:
            status = os.stat(name, dir_fd=directory, follow_symlinks=False)
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(status.st_mode):
            log.warning("%s: %s is not a file: retention leaves it", target, name)
            continue
        started = _facts_started(directory, recording_id) or datetime.datetime.fromtimestamp(
            status.st_mtime, datetime.UTC
        )
        yield Held(recording_id, started, status.st_size)


def _facts_started(directory: int, recording_id: str) -> datetime.datetime | None:
    try:
        descriptor = os.open(recording_id + FACTS_SUFFIX, _FILE_FLAGS, dir_fd=directory)
    except OSError:  # none, a link (ELOOP), unreadable: dated by the audio's file
        return None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        data = os.read(descriptor, MAX_FACTS_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(descriptor)
    if len(data) > MAX_FACTS_BYTES:
        return None
    try:
        facts = json.loads(data)
    except ValueError:
        return None
    return started_at(facts.get("started")) if isinstance(facts, dict) else None


def _unlink_recording(directory: int, recording_id: str) -> bool:
    """The facts (it leaves the list at once), then the audio, both by name in the folder:
    False, nothing deleted, when the audio is no longer a regular file there."""
    audio = recording_id + AUDIO_SUFFIX
    try:
        if not stat.S_ISREG(os.stat(audio, dir_fd=directory, follow_symlinks=False).st_mode):
            return False
    except FileNotFoundError:
        return False
    facts = recording_id + FACTS_SUFFIX
    with contextlib.suppress(FileNotFoundError):  # a link named so goes, not what it names
        os.unlink(facts, dir_fd=directory)
    os.unlink(audio, dir_fd=directory)
    return True
