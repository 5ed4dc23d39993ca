"""The synced configuration of this unit: its files' manifest and generation number.

The generation grows by one for each change seen on the node that authors changes (the
Master). A node's configuration is "newer" than another's when its (generation, changed_at)
is greater. Kept in state_dir/ha/generation.json, written only when something changes.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orpheus.files import write_file
from orpheus.ha import filesets
from orpheus.ha.filesets import Manifest, Stamps

log = logging.getLogger(__name__)

MAX_REPORTED_EVENTS = 20


class ReplayedGeneration(ValueError):
    """A push older than what this node holds: dropped."""


@dataclass(frozen=True)
class Applied:
    """What a push did here: the paths it changed (written or deleted) and those still missing."""

    changed: list[str]
    missing: list[str]


@dataclass
class ConfigEvent:
    """A change refused (on the Slave) or lost (overwritten when a split brain healed)."""

    time: float
    kind: str  # "refused" or "lost"
    detail: str

    def as_dict(self) -> dict[str, object]:
        return {"time": self.time, "kind": self.kind, "detail": self.detail}


@dataclass
class GenerationRecord:
    generation: int = 0
    changed_at: float = 0.0
    manifest: Manifest = field(default_factory=dict)
    unsynced: list[str] = field(default_factory=list)  # changed here, not yet acked by the peer
    events: list[ConfigEvent] = field(default_factory=list)

    def key(self) -> tuple[int, float]:
        return (self.generation, self.changed_at)


@dataclass(frozen=True)
class Push:
    generation: int
    changed_at: float
    manifest: Manifest
    files: dict[str, bytes]

    def as_json(self) -> dict[str, object]:
        return {
            "generation": self.generation,
            "changed_at": self.changed_at,
            "manifest": self.manifest,
            "files": {path: base64.b64encode(data).decode() for path, data in self.files.items()},
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Push:
        files: dict[str, str] = raw.get("files") or {}
        return cls(
            generation=int(raw["generation"]),
            changed_at=float(raw["changed_at"]),
            manifest=dict(raw["manifest"]),
            files={p: base64.b64decode(d) for p, d in files.items()},
        )


class SyncedConfig:
    def __init__(self, data_dir: Path, record_file: Path) -> None:
        self._data_dir = data_dir
        self._record_file = record_file
        self._lock = threading.Lock()
        self._record = _load(record_file)
        self._stamps: Stamps = {}
        self.last_apply_lag: float | None = None

    @property
    def record(self) -> GenerationRecord:
        return self._record

    def scan(self, author: bool) -> bool:
        """Rereads changed files; as author, a changed manifest is a new generation."""
        with self._lock:
            manifest = self._rehash()
            changed = sorted(
                path
                for path in set(manifest) | set(self._record.manifest)
                if manifest.get(path) != self._record.manifest.get(path)
            )
            if not changed:
                return False
            if not author:
                self._record.manifest = manifest
                return False
            self._record.generation += 1
            self._record.changed_at = time.time()
            self._record.manifest = manifest
            self._record.unsynced = sorted(set(self._record.unsynced) | set(changed))
            self._save()
            log.info(
                "configuration generation %d: %d file(s) changed",
                self._record.generation,
                len(changed),
            )
            return True

    def _rehash(self) -> Manifest:
        current = filesets.stamps(self._data_dir)
        manifest = {}
        for path, stamp in current.items():
            known = self._record.manifest.get(path)
            if self._stamps.get(path) == stamp and known is not None:
                manifest[path] = known
                continue
            try:
                manifest[path] = filesets.digest(filesets.read_content(self._data_dir, path))
            except OSError:
                continue
        self._stamps = current
        return manifest

    def make_push(self, peer_manifest: Manifest) -> Push:
        with self._lock:
            record = self._record
            files = {}
            for path, sha in record.manifest.items():
                if peer_manifest.get(path) != sha:
                    try:
                        files[path] = filesets.read_content(self._data_dir, path)
                    except OSError:
                        continue
            return Push(record.generation, record.changed_at, dict(record.manifest), files)

    def apply(self, push: Push) -> Applied:
        """Applies a push from the peer, all or nothing (files and generation record: a full
        disk raises DiskFull and changes neither); done when nothing is missing."""
        with self._lock:
            if (push.generation, push.changed_at) < self._record.key():
                raise ReplayedGeneration(
                    f"push of generation {push.generation} is older than "
                    f"this node's {self._record.generation}"
                )
            before = dict(self._record.manifest)
            changed = []
            for path, content in push.files.items():
                sha = filesets.digest(content)
                if sha != push.manifest.get(path):
                    raise ValueError(f"content of {path} does not match the pushed manifest")
                if before.get(path) != sha:
                    changed.append(path)
            deletions = sorted(set(self._record.manifest) - set(push.manifest))
            held = dataclasses.replace(self._record, manifest=before)
            held.unsynced, held.events = list(held.unsynced), list(held.events)
            lag = self.last_apply_lag
            try:
                with filesets.landing(self._data_dir, push.files, deletions):
                    manifest = self._rehash()
                    missing = sorted(
                        p for p, sha in push.manifest.items() if manifest.get(p) != sha
                    )
                    self._record.manifest = manifest
                    if not missing:
                        self._take_generation(push, before)
            except BaseException:
                self._record, self.last_apply_lag, self._stamps = held, lag, {}
                raise
            return Applied(sorted([*changed, *deletions]), missing)

    def _take_generation(self, push: Push, before: Manifest) -> None:
        record = self._record
        # Changes made here that the peer already holds (pushed, not yet acknowledged) are
        # not lost; the others are.
        lost = [p for p in record.unsynced if before.get(p) != push.manifest.get(p)]
        if lost and (push.generation, push.changed_at) != record.key():
            detail = (
                f"generation {record.generation} made here ({', '.join(lost[:5])}) "
                f"was replaced by the peer's newer generation {push.generation}"
            )
            log.warning("split brain healed: %s", detail)
            self._add_event("lost", detail)
        if (push.generation, push.changed_at) != record.key():
            self.last_apply_lag = max(0.0, time.time() - push.changed_at)
        record.generation, record.changed_at = push.generation, push.changed_at
        record.unsynced = []
        self._save()

    def mark_synced(self, generation: int, changed_at: float) -> None:
        with self._lock:
            if (generation, changed_at) == self._record.key() and self._record.unsynced:
                self._record.unsynced = []
                self._save()

    def record_refusal(self, detail: str) -> None:
        with self._lock:
            self._add_event("refused", detail)

    def new_generation(self) -> None:
        """A generation of its own (the Master at pairing), newer than a fresh Slave's 0."""
        with self._lock:
            self._record.manifest = self._rehash()
            self._record.generation += 1
            self._record.changed_at = time.time()
            self._save()

    def reset(self) -> None:
        """A freshly joined Slave: anything the Master has is newer."""
        with self._lock:
            self._record.generation, self._record.changed_at = 0, 0.0
            self._record.unsynced = []
            self._save()

    def _add_event(self, kind: str, detail: str) -> None:
        self._record.events = [
            *self._record.events[-(MAX_REPORTED_EVENTS - 1) :],
            ConfigEvent(time.time(), kind, detail),
        ]
        self._save()

    def _save(self) -> None:
        record = self._record
        raw = {
            "generation": record.generation,
            "changed_at": record.changed_at,
            "manifest": record.manifest,
            "unsynced": record.unsynced,
            "events": [event.as_dict() for event in record.events],
        }
        write_file(self._record_file, json.dumps(raw), mode=0o644)


def _load(path: Path) -> GenerationRecord:
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        return GenerationRecord()
    return GenerationRecord(
        generation=int(raw["generation"]),
        changed_at=float(raw["changed_at"]),
        manifest=dict(raw["manifest"]),
        unsynced=list(raw.get("unsynced", [])),
        events=[ConfigEvent(**event) for event in raw.get("events", [])],
    )
