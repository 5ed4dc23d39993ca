"""The journal of the transfer under way, in the agent's state directory: what it was asked
(mode, both targets, the selection) and the ids it took, written once before the first
copy and removed when the job ends by itself.

Each step of a transfer can be repeated (transfer.py), so the journal needs no per-file
progress: after a crash or a power cut the agent runs the same ids again at its start, and
a recording already copied counts as done, its source deleted if the move had not got there.
The file is the agent's own, but it is read as strictly as any input: a journal that does
not parse is reported and dropped, never half-followed.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from orpheus import files
from orpheus.recordings.names import is_recording_id
from orpheus.storage.registry import TARGET_NAME_PATTERN

log = logging.getLogger(__name__)

Mode = Literal["copy", "move"]
_TARGET = re.compile(TARGET_NAME_PATTERN)


@dataclass(frozen=True)
class Plan:
    mode: Mode
    source: str
    destination: str
    ids: list[str]
    selection: dict[str, Any] = field(default_factory=dict)  # what was asked, for the log

    def as_json(self) -> str:
        return json.dumps(
            {
                "mode": self.mode,
                "source": self.source,
                "destination": self.destination,
                "ids": self.ids,
                "selection": self.selection,
            },
            sort_keys=True,
        )

    @classmethod
    def parse(cls, text: str) -> Plan:
        raw = json.loads(text)
        if not isinstance(raw, dict):
            raise ValueError("not an object")
        mode, source, destination = raw.get("mode"), raw.get("source"), raw.get("destination")
        ids, selection = raw.get("ids"), raw.get("selection", {})
        if mode not in ("copy", "move"):
            raise ValueError(f"mode {mode!r}")
        if not isinstance(source, str) or not isinstance(destination, str):
            raise ValueError("targets")
        for name in (source, destination):
            if _TARGET.fullmatch(name) is None:
                raise ValueError(f"target {name!r}")
        if not isinstance(ids, list) or not all(
            isinstance(i, str) and is_recording_id(i) for i in ids
        ):
            raise ValueError("ids")
        if not isinstance(selection, dict):
            raise ValueError("selection")
        return cls(mode, source, destination, ids, selection)


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, plan: Plan) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        files.write_file(self.path, plan.as_json() + "\n", mode=0o600)

    def read(self) -> Plan | None:
        """The interrupted transfer, or None (none, or a journal that cannot be followed)."""
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return None
        try:
            return Plan.parse(text)
        except (ValueError, TypeError) as error:
            log.error("%s cannot be followed (%s): dropped", self.path, error)
            self.clear()
            return None

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
