"""Which recordings a copy, move or archive takes: a date range (UTC days, both ends
included), an extension (the caller or the called party), a direction, or an age.

The facts come from the target's files (a USB drive's may be anything): a recording whose
date cannot be read is taken by no date filter, rather than guessed.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from orpheus.recordings.names import DIRECTIONS

EXTENSION_PATTERN = r"[0-9+*]{1,32}"  # what the dialplan's FILTER leaves of a party
DATE_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
MAX_AGE_DAYS = 36_500


@dataclass(frozen=True)
class Selection:
    since: datetime.date | None = None
    until: datetime.date | None = None
    extension: str | None = None
    direction: str | None = None
    older_than_days: int | None = None

    @classmethod
    def from_request(cls, body: Mapping[str, Any]) -> Selection:
        """From a request already checked against its schema; ValueError for a date that
        matches the pattern but not the calendar (2026-02-30) or a range that ends first."""
        since, until = _date(body.get("since")), _date(body.get("until"))
        if since and until and until < since:
            raise ValueError(f"the range ends ({until}) before it starts ({since})")
        direction = body.get("direction")
        if direction is not None and direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}")
        return cls(since, until, body.get("extension"), direction, body.get("older_than_days"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "extension": self.extension,
            "direction": self.direction,
            "older_than_days": self.older_than_days,
        }

    def matches(self, facts: Mapping[str, Any], now: datetime.datetime) -> bool:
        if self.direction is not None and facts.get("direction") != self.direction:
            return False
        if self.extension is not None and self.extension not in (
            facts.get("caller"),
            facts.get("called"),
        ):
            return False
        if self.since is None and self.until is None and self.older_than_days is None:
            return True
        started = started_at(facts.get("started"))
        if started is None:
            return False
        day = started.date()
        if (self.since and day < self.since) or (self.until and day > self.until):
            return False
        if self.older_than_days is not None:
            return started < now - datetime.timedelta(days=self.older_than_days)
        return True

    def pick(
        self, recordings: Iterable[tuple[str, Mapping[str, Any]]], now: datetime.datetime
    ) -> list[str]:
        """The ids (from the files' names, never from their facts) of the recordings
        selected, in the order given."""
        return [recording_id for recording_id, facts in recordings if self.matches(facts, now)]


def _date(value: object) -> datetime.date | None:
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"not a date: {str(value)[:32]!r} (YYYY-MM-DD)") from None


def started_at(value: object) -> datetime.datetime | None:
    """When the call started, in UTC; None for a value that is not an ISO date and time."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        started = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    if started.tzinfo is None:
        started = started.replace(tzinfo=datetime.UTC)
    return started.astimezone(datetime.UTC)
