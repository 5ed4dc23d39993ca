"""A call detail record: what the agent keeps of Asterisk's `Cdr` event, checked, and how it
is filtered and written as CSV.

The event is hostile input (a caller ID comes from anyone who can reach a trunk): each field
is looked at by name, within a byte budget; the fields that give the record its shape (the
times, the durations, the disposition, the unique id) must match exactly or the record is
refused; the parties are cut to MAX_PARTY characters and their control characters replaced.
Direction and trunk come from the channels' names as calls/active.py reads them: a PJSIP
channel of a trunk's endpoint (pbx/render.py) is the trunk's side.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from orpheus.pbx.render import trunk_endpoint

MAX_EVENT_BYTES = 8 * 1024  # an event is a few hundred bytes; one far larger is refused
MAX_PARTY = 80
MAX_SECONDS = 10 * 365 * 86400
DISPOSITIONS = {
    "ANSWERED": "answered",
    "NO ANSWER": "no-answer",
    "BUSY": "busy",
    "FAILED": "failed",
    "CONGESTION": "congestion",
}
DIRECTIONS = ("inbound", "outbound", "internal")
TRUNK_PREFIX = trunk_endpoint("")
_UNIQUE_ID = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9-]{0,31}-)?[0-9]{1,12}\.[0-9]{1,10}")
_LOCAL_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
_EPOCH = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,6})?")
_SECONDS = re.compile(r"[0-9]{1,9}")
_CHANNEL = re.compile(r"PJSIP/(?P<endpoint>[A-Za-z0-9_.+*-]{1,64})-[0-9a-f]{8}(?:;[12])?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
CSV_FIELDS = (
    "id", "start", "answer", "end", "duration", "billsec", "src", "dst", "disposition",
    "direction", "trunk", "extensions",
)  # fmt: skip


class Refused(ValueError):
    """An event that is not a record the agent keeps; one line for the log."""


@dataclass(frozen=True)
class CdrRecord:
    id: str  # Asterisk's unique id of the channel the record is about
    start: str  # ISO 8601, UTC, seconds
    answer: str | None
    end: str
    duration: int  # seconds, start to end
    billsec: int  # seconds, answer to end
    src: str
    dst: str
    disposition: str  # one of DISPOSITIONS' values
    direction: str  # one of DIRECTIONS
    trunk: str | None  # the trunk's name, for inbound and outbound calls
    extensions: tuple[str, ...]  # the PJSIP endpoints (not trunks) on either side

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["extensions"] = list(self.extensions)
        return values

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> CdrRecord:
        """From what the store decrypted (written by this code; still checked for shape)."""
        try:
            record = cls(**{**values, "extensions": tuple(values["extensions"])})
        except (TypeError, KeyError) as error:
            raise Refused(f"a stored record of another shape: {error}") from error
        if record.disposition not in DISPOSITIONS.values() or record.direction not in DIRECTIONS:
            raise Refused("a stored record of another shape")
        return record


def _field(event: Mapping[str, str], name: str) -> str:
    value = event.get(name, "")
    if not isinstance(value, str):
        raise Refused(f"{name} is not text")
    return value


def _party(value: str) -> str:
    return _CONTROL.sub("?", value)[:MAX_PARTY]


def _seconds(event: Mapping[str, str], name: str) -> int:
    value = _field(event, name)
    if _SECONDS.fullmatch(value) is None or int(value) > MAX_SECONDS:
        raise Refused(f"{name} is not a number of seconds: {value[:20]!r}")
    return int(value)


def _time(event: Mapping[str, str], epoch_name: str, local_name: str) -> str | None:
    """The UTC time from the epoch field the agent's cdr_manager.conf maps (exact), else from
    Asterisk's local-time field (read in the agent's time zone, which is the unit's); None
    when empty (a call never answered)."""
    epoch = _field(event, epoch_name)
    if epoch:
        if _EPOCH.fullmatch(epoch) is None:
            raise Refused(f"{epoch_name} is not an epoch: {epoch[:20]!r}")
        seconds = int(epoch.partition(".")[0])
        if seconds == 0:  # Asterisk's "never" (an answer time of a call not answered)
            return None
        return datetime.datetime.fromtimestamp(seconds, datetime.UTC).isoformat()
    local = _field(event, local_name)
    if not local:
        return None
    if _LOCAL_TIME.fullmatch(local) is None:
        raise Refused(f"{local_name} is not a time: {local[:20]!r}")
    try:
        naive = datetime.datetime.strptime(local, "%Y-%m-%d %H:%M:%S")
    except ValueError as error:
        raise Refused(f"{local_name} is not a time: {local!r}") from error
    return naive.astimezone().astimezone(datetime.UTC).isoformat()


def endpoint(channel: str) -> str | None:
    """'PJSIP/101-0000002a' -> '101'; None for other channels (Local/..., empty)."""
    found = _CHANNEL.fullmatch(channel)
    return found["endpoint"] if found else None


def parse_event(event: Mapping[str, str]) -> CdrRecord:
    """The record of a `Cdr` event; Refused for one that does not fit."""
    if _field(event, "Event") != "Cdr":
        raise Refused("not a Cdr event")
    if sum(len(str(k)) + len(str(v)) + 4 for k, v in event.items()) > MAX_EVENT_BYTES:
        raise Refused(f"an event larger than {MAX_EVENT_BYTES} bytes")
    unique_id = _field(event, "UniqueID")
    if _UNIQUE_ID.fullmatch(unique_id) is None:
        raise Refused(f"UniqueID is not Asterisk's unique id: {unique_id[:40]!r}")
    disposition = DISPOSITIONS.get(_field(event, "Disposition"))
    if disposition is None:
        raise Refused(f"unknown disposition {_field(event, 'Disposition')[:20]!r}")
    start = _time(event, "StartEpoch", "StartTime")
    end = _time(event, "EndEpoch", "EndTime")
    if start is None or end is None:
        raise Refused("no start or end time")
    sides = [endpoint(_field(event, "Channel")), endpoint(_field(event, "DestinationChannel"))]
    trunks = [s[len(TRUNK_PREFIX) :] if s and s.startswith(TRUNK_PREFIX) else None for s in sides]
    if trunks[0] is not None:
        direction, trunk = "inbound", trunks[0]
    elif trunks[1] is not None:
        direction, trunk = "outbound", trunks[1]
    else:
        direction, trunk = "internal", None
    extensions = tuple(
        dict.fromkeys(s for s, t in zip(sides, trunks, strict=True) if s and t is None)
    )
    return CdrRecord(
        id=unique_id,
        start=start,
        answer=_time(event, "AnswerEpoch", "AnswerTime"),
        end=end,
        duration=_seconds(event, "Duration"),
        billsec=_seconds(event, "BillableSeconds"),
        src=_party(_field(event, "Source")),
        dst=_party(_field(event, "Destination")),
        disposition=disposition,
        direction=direction,
        trunk=trunk,
        extensions=extensions,
    )


@dataclass(frozen=True)
class CdrFilter:
    since: datetime.date | None = None  # the start's UTC day, both ends included
    until: datetime.date | None = None
    extension: str | None = None  # src, dst or an extension's endpoint on either side
    trunk: str | None = None
    disposition: str | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str | None]) -> CdrFilter:
        """From values already checked by the route's schema; ValueError for a date that
        is not on the calendar, or a range that ends before it starts."""
        since, until = _date(query.get("from")), _date(query.get("until"))
        if since and until and until < since:
            raise ValueError(f"the range ends ({until}) before it starts ({since})")
        disposition = query.get("disposition") or None
        if disposition is not None and disposition not in DISPOSITIONS.values():
            raise ValueError(f"disposition: one of {', '.join(DISPOSITIONS.values())}")
        return cls(since, until, query.get("extension") or None, query.get("trunk") or None,
                   disposition)  # fmt: skip

    def days(self, stored: Iterable[datetime.date]) -> list[datetime.date]:
        """The stored days (files) that may hold records this filter takes."""
        return [
            day
            for day in sorted(stored)
            if (self.since is None or day >= self.since)
            and (self.until is None or day <= self.until)
        ]

    def matches(self, record: CdrRecord) -> bool:
        day = datetime.datetime.fromisoformat(record.start).date()
        if (self.since and day < self.since) or (self.until and day > self.until):
            return False
        if self.trunk is not None and record.trunk != self.trunk:
            return False
        if self.disposition is not None and record.disposition != self.disposition:
            return False
        return self.extension is None or self.extension in (
            record.src,
            record.dst,
            *record.extensions,
        )

    def as_dict(self) -> dict[str, str | None]:
        return {
            "from": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "extension": self.extension,
            "trunk": self.trunk,
            "disposition": self.disposition,
        }


def _date(value: str | None) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not a date: {value[:32]!r} (YYYY-MM-DD)") from None


def _cell(value: object) -> str:
    """A spreadsheet must not take a party for a formula: a cell starting = @ or a tab (or
    + and - unless a number follows) is quoted with a leading apostrophe."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "@", "\t", "\r") or (
        text[:1] in ("+", "-") and re.fullmatch(r"[+-][0-9*#]*", text) is None
    ):
        return "'" + text
    return text


def to_csv(records: Iterable[CdrRecord]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    for record in records:
        values = record.as_dict()
        values["extensions"] = " ".join(record.extensions)
        writer.writerow(_cell(values[name]) for name in CSV_FIELDS)
    return out.getvalue()
