"""What the update module remembers across boots, in one JSON file on the data partition.

slots          bootname -> the firmware it holds (version, build date), as far as known
pending        the install waiting for its first healthy boot (slot, versions, boot id)
last_install   result of the newest install attempt (ok, failed, refused) and its message
last_rollback  the newest rollback: manual, automatic (health) or bootloader, and why
config         what the configuration check did at this boot (migrated, restored, lost)
fallback       the newest restore of the other slot (restoring, good, failed) and its message
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from orpheus import files

KEYS = ("slots", "pending", "last_install", "last_commit", "last_rollback", "config", "fallback")


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class UpdateState:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def read(self) -> dict[str, Any]:
        try:
            raw = json.loads(self.path.read_text())
        except (OSError, ValueError):
            raw = {}
        if not isinstance(raw, dict):  # valid JSON, but not the state's object: as if absent
            raw = {}
        state: dict[str, Any] = {key: raw.get(key) for key in KEYS}
        state["slots"] = state["slots"] or {}
        return state

    def update(self, **changes: Any) -> dict[str, Any]:
        """Sets top-level keys and writes the file atomically (temporary file, fsync, rename)."""
        with self._lock:
            state = self.read()
            state.update(changes)
            text = json.dumps(state, indent=2, sort_keys=True)
            files.write_file(self.path, text, mode=0o644)
            return state

    def set_slot(self, bootname: str, version: str, build_date: str) -> None:
        slots = dict(self.read()["slots"])
        slots[bootname] = {"version": version, "build_date": build_date, "recorded_at": now_iso()}
        self.update(slots=slots)
