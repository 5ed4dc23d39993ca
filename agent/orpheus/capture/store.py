"""The kept captures: one directory each under the capture root (RAM by default), holding
capture.json (what was asked, its state), tcpdump's ring files and the HEP file (the
decrypted SIP Asterisk sent while it ran: capture/hep_receiver.py).

Creating a capture checks the quota and the number kept under one lock, so two requests at
once cannot both take the last megabytes. A capture's id is random hex: the only names the
store makes or accepts as directories.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from orpheus.capture.filters import CaptureFilter, FilterInvalid
from orpheus.capture.hep_receiver import HEP_FILE
from orpheus.capture.limits import MAX_KEPT, QuotaExceeded, Ring, check_free, check_quota
from orpheus.capture.tcpdump import ring_files
from orpheus.files import write_file

State = Literal["running", "finished", "failed"]
ID_PATTERN = r"^[0-9a-f]{12}$"
_ID = re.compile(ID_PATTERN[1:-1])
META = "capture.json"


@dataclass(frozen=True)
class Capture:
    id: str
    filter: CaptureFilter
    duration_seconds: int
    max_size_mb: int
    started_at: float
    state: State = "running"
    finished_at: float | None = None
    message: str = "capturing"
    job_id: int | None = None

    @property
    def ring(self) -> Ring:
        return Ring.for_size(self.max_size_mb)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "filter": self.filter.as_dict(),
            "duration_seconds": self.duration_seconds, "max_size_mb": self.max_size_mb,
            "started_at": self.started_at, "finished_at": self.finished_at,
            "state": self.state, "message": self.message, "job_id": self.job_id,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Capture:
        return cls(
            id=str(raw["id"]), filter=CaptureFilter.parse(raw["filter"]),
            duration_seconds=int(raw["duration_seconds"]), max_size_mb=int(raw["max_size_mb"]),
            started_at=float(raw["started_at"]),
            finished_at=None if raw.get("finished_at") is None else float(raw["finished_at"]),
            state=raw["state"] if raw.get("state") in ("running", "finished", "failed")
            else "failed",
            message=str(raw.get("message", "")), job_id=raw.get("job_id"),
        )  # fmt: skip


class CaptureStore:
    def __init__(self, root: Path, quota_mb: int) -> None:
        self.root = root
        self.quota_mb = quota_mb
        self._lock = threading.Lock()

    def directory(self, capture_id: str) -> Path:
        if not _ID.fullmatch(capture_id):
            raise KeyError(capture_id)
        return self.root / capture_id

    def create(self, capture_filter: CaptureFilter, duration: int, size_mb: int) -> Capture:
        """A new running capture, its directory made; QuotaExceeded if it would not fit."""
        with self._lock:
            kept = self.captures()
            if len(kept) >= MAX_KEPT:
                raise QuotaExceeded(f"{MAX_KEPT} captures are kept already: delete one first")
            used = sum(self.size(c.id) for c in kept)
            reserved = sum(
                max(0, c.ring.bound_bytes - self.size(c.id)) for c in kept if c.state == "running"
            )
            capture = Capture(secrets.token_hex(6), capture_filter, duration, size_mb, time.time())
            check_quota(used, reserved, capture.ring.bound_bytes, self.quota_mb)
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            check_free(shutil.disk_usage(self.root).free, reserved, capture.ring.bound_bytes)
            self.directory(capture.id).mkdir(mode=0o700)
            self.save(capture)
            return capture

    def save(self, capture: Capture) -> None:
        path = self.directory(capture.id) / META
        write_file(path, json.dumps(capture.as_dict()) + "\n", mode=0o600)

    def update(self, capture: Capture, **changes: Any) -> Capture:
        changed = replace(capture, **changes)
        self.save(changed)
        return changed

    def get(self, capture_id: str) -> Capture | None:
        try:
            raw = json.loads((self.directory(capture_id) / META).read_text())
            return Capture.from_dict(raw)
        except (KeyError, OSError, ValueError, TypeError, FilterInvalid):
            return None

    def captures(self) -> list[Capture]:
        """Every kept capture, oldest first (a directory with a broken capture.json is not
        one: it is left for delete to remove)."""
        if not self.root.is_dir():
            return []
        found = [self.get(path.name) for path in self.root.iterdir() if _ID.fullmatch(path.name)]
        return sorted((c for c in found if c is not None), key=lambda c: c.started_at)

    def files(self, capture_id: str) -> list[Path]:
        """The ring's files, oldest first, then the HEP file if Asterisk sent any."""
        directory = self.directory(capture_id)
        hep = directory / HEP_FILE
        return ring_files(directory) + ([hep] if hep.is_file() else [])

    def size(self, capture_id: str) -> int:
        total = 0
        for path in self.files(capture_id):
            try:
                total += path.stat().st_size
            except FileNotFoundError:
                continue
        return total

    def delete(self, capture_id: str) -> None:
        shutil.rmtree(self.directory(capture_id), ignore_errors=True)
