"""The "storage" area of ORPHEUS-MIB: the storage registry's targets (storage/registry.py),
as GET /api/v1/storage lists them: internal always, each USB drive from its plug to its
unplug or eject, each NAS from its addition to its removal (its label: its host).

Each row is measured at each refresh (Target.measure: nothing cached that a pulled drive
could make wrong; a NAS's measure is bounded and cached a moment, so a dead NAS never holds
the refresher: it is unreachable). A target that is not mounted (unreachable, unsupported)
has a row with its state, mounted=false and no figures. The index of a target is 1 for
internal and, for a drive or a NAS, the next free number the first time the agent sees it:
kept while the agent runs (a drive pulled and plugged in again has its index back), handed
out again in plug order at the next start; the name (usb-<uuid>, nas-<word>) is what
identifies a target.
"""

from __future__ import annotations

import threading
from typing import Any

from orpheus.storage.registry import StorageTargets
from orpheus.storage.targets import INTERNAL

# orpheusStorageState's values (ORPHEUS-MIB), from the API's states.
STATES = {"mounted": 1, "read-only": 2, "unreachable": 3, "full": 4, "unsupported": 5}
_MOUNTED = frozenset({"mounted", "read-only", "full"})


class StorageValues:
    """The storage area's provider: called by the SNMP refresher off the request path."""

    def __init__(self, targets: StorageTargets) -> None:
        self._targets = targets
        self._indexes = {INTERNAL: 1}
        self._lock = threading.Lock()

    def index(self, name: str) -> int:
        with self._lock:
            if name not in self._indexes:
                self._indexes[name] = max(self._indexes.values()) + 1
            return self._indexes[name]

    def __call__(self) -> dict[str, Any]:
        return {"targets": [self._row(target.measure()) for target in self._targets.targets()]}

    def _row(self, measured: dict[str, Any]) -> dict[str, Any]:
        state = str(measured["state"])
        row: dict[str, Any] = {
            "index": self.index(measured["name"]),
            "name": measured["name"],
            "state": STATES[state],
            "state_name": state,
            "mounted": state in _MOUNTED,
            "label": measured["label"],
        }
        if measured["size_bytes"] is not None:  # figures only for a mounted target
            row |= {
                "total_bytes": measured["size_bytes"],
                "free_bytes": measured["free_bytes"],
                "recordings": measured["recordings"],
                "recording_bytes": measured["recording_bytes"],
            }
        return row
