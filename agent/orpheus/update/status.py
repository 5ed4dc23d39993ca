"""The update module's status as one typed object: GET /api/v1/update serialises it, SNMP
reads it. The records of the state file (pending, last install, ...) keep their JSON shape."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Record = Mapping[str, Any]  # a record of state.json, as update/state.py describes it


@dataclass(frozen=True)
class SlotStatus:
    slot: str  # RAUC's name, e.g. rootfs.0
    bootname: str  # A or B
    version: str | None
    build_date: str | None
    state: str | None  # RAUC's: booted, active, inactive
    boot_status: str | None  # good, bad
    booted: bool
    primary: bool


@dataclass(frozen=True)
class UpdateStatus:
    booted: str
    running_version: str
    slots: tuple[SlotStatus, ...]
    job: Record | None
    pending: Record | None
    last_install: Record | None  # result ("ok", "failed", "refused"), message, at
    last_commit: Record | None
    last_rollback: Record | None
    config: Record | None
    fallback: Record | None = None  # the other slot's restore: state, progress, message

    @property
    def other_slot(self) -> SlotStatus | None:
        return next((slot for slot in self.slots if not slot.booted), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "booted": self.booted,
            "running_version": self.running_version,
            "slots": [dataclasses.asdict(slot) for slot in self.slots],
            "job": self.job,
            "pending": self.pending,
            "last_install": self.last_install,
            "last_commit": self.last_commit,
            "last_rollback": self.last_rollback,
            "config": self.config,
            "fallback": self.fallback,
        }
