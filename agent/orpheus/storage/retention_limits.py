"""A storage target's retention limits (by age, by size), as its settings hold them: read by
the registry that keeps them and by the sweep that applies them (retention.py)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from orpheus.recordings.selection import MAX_AGE_DAYS

log = logging.getLogger(__name__)

MIN_BYTES = 1_000_000  # a limit below a few seconds of a call is a typo
MAX_BYTES = 1 << 50  # 1 PiB


@dataclass(frozen=True)
class Limits:
    max_age_days: int | None = None
    max_bytes: int | None = None

    def as_dict(self) -> dict[str, int | None]:
        return {"max_age_days": self.max_age_days, "max_bytes": self.max_bytes}

    @property
    def unlimited(self) -> bool:
        return self.max_age_days is None and self.max_bytes is None

    @classmethod
    def parse(cls, raw: object) -> Limits:
        """From the settings file, strictly: a value out of bounds is no limit (logged)."""
        if not isinstance(raw, Mapping):
            return cls()
        age = _bounded(raw.get("max_age_days"), 1, MAX_AGE_DAYS, "max_age_days")
        size = _bounded(raw.get("max_bytes"), MIN_BYTES, MAX_BYTES, "max_bytes")
        return cls(age, size)


def _bounded(value: object, low: int, high: int, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        log.error("retention %s %r is not %d to %d: no limit", name, value, low, high)
        return None
    return value
