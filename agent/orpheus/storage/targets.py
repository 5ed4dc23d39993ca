"""One storage target: where its recordings are, and what it reports (state, size, free,
number and bytes of recordings), measured at each call: nothing is cached that a pulled
drive could make wrong. A NAS is the exception: its measure runs in a worker thread with a
bound, cached a moment (nas.BoundedMeasure), so a dead server never blocks the caller."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from orpheus.recordings.store import AUDIO_SUFFIX, RecordingStore
from orpheus.storage.check import CheckResult

if TYPE_CHECKING:
    from orpheus.storage.nas import BoundedMeasure

TargetState = Literal["mounted", "read-only", "unreachable", "full", "unsupported"]
TARGET_STATES = ("mounted", "read-only", "unreachable", "full", "unsupported")
INTERNAL = "internal"
# The recordings' folder on a drive (the drive may hold other files too).
USB_RECORDINGS_DIR = "orpheus-recordings"
# Below this a target takes no more recordings: a one-hour call is about 58 MB.
FULL_BELOW_BYTES = 64 * 1024 * 1024


@dataclass
class Target:
    name: str  # "internal", "usb-<uuid>", "nas-<word>"
    kind: Literal["internal", "usb", "nas"]
    root: Path  # the filesystem's mount point (the data partition's directory for internal)
    recordings_dir: Path
    fs_type: str = ""
    device: str = ""
    label: str = ""
    port: int | None = None  # a NAS's own TCP port (None: the protocol's)
    unsupported: bool = False
    error: str = ""  # why it is unreachable (a mount that failed)
    # The filesystem check before the mount (check.py); errors left: mounted read-only.
    check: CheckResult | None = None
    read_only: bool = False
    # Whether root is still the drive's mount point: a pulled drive leaves an empty
    # directory whose figures would be the RAM's. The internal target is always there.
    mounted: Callable[[Path], bool] = field(default=os.path.ismount, repr=False)
    # A NAS: measure() answers from this (a worker thread, bounded, cached).
    bounded: BoundedMeasure | None = field(default=None, repr=False)

    @property
    def store(self) -> RecordingStore:
        return RecordingStore(self.recordings_dir)

    def reachable(self) -> bool:
        if self.bounded is not None:  # never a syscall on a NAS here: its cached measure
            return not self.error and self.measure()["state"] in ("mounted", "read-only", "full")
        return self._present()

    def _present(self) -> bool:
        return not self.unsupported and not self.error and self.mounted(self.root)

    def measure(self) -> dict[str, Any]:
        """The target's JSON for /api/v1/storage."""
        if self.bounded is not None and not self.error:
            return self.bounded.get()
        return self.measure_now()

    def unreachable(self, message: str) -> dict[str, Any]:
        return self._answer() | {"state": "unreachable", "message": message}

    def _answer(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "path": str(self.root),
            "fs_type": self.fs_type,
            "device": self.device,
            "label": self.label,
            "size_bytes": None,
            "free_bytes": None,
            "recordings": 0,
            "recording_bytes": 0,
        }
        if self.port is not None:
            answer["port"] = self.port
        if self.check is not None:
            answer["check"] = self.check.as_dict()
        return answer

    def measure_now(self) -> dict[str, Any]:
        """Measured on the caller's thread (a NAS's worker thread for a NAS)."""
        answer = self._answer()
        if self.unsupported:
            return answer | {"state": "unsupported", "message": f"{self.fs_type} is not supported"}
        if self.error:
            return answer | {"state": "unreachable", "message": self.error}
        if not self._present():
            return answer | {"state": "unreachable", "message": "not mounted"}
        try:
            stats = os.statvfs(self.root)
            count, used = recordings_usage(self.recordings_dir)
        except OSError as error:
            return answer | {"state": "unreachable", "message": str(error.strerror)}
        free = stats.f_bavail * stats.f_frsize
        answer |= {
            "size_bytes": stats.f_blocks * stats.f_frsize,
            "free_bytes": free,
            "recordings": count,
            "recording_bytes": used,
        }
        state = _state(stats.f_flag, free, self.read_only)
        why = self.check.detail if state == "read-only" and self.check is not None else ""
        return answer | {"state": state, "message": why}


def _state(flags: int, free: int, read_only: bool = False) -> TargetState:
    if read_only or flags & os.ST_RDONLY:
        return "read-only"
    return "full" if free < FULL_BELOW_BYTES else "mounted"


def recordings_usage(directory: Path) -> tuple[int, int]:
    """How many recordings (finished audio files) the folder holds and their bytes; an
    absent folder holds none, an unreadable one raises OSError."""
    count = used = 0
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return 0, 0
    for entry in entries:
        if entry.name.endswith(AUDIO_SUFFIX) and entry.is_file(follow_symlinks=False):
            count += 1
            used += entry.stat(follow_symlinks=False).st_size
    return count, used
