"""Parsers of Asterisk's answers (CLI output, also as AMI Command output lines).

Each takes the text as Asterisk 22 prints it; tests/unit/asterisk/test_parsers.py holds
captured outputs of the root filesystem's Asterisk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

REGISTRATION_LINE = re.compile(
    r"^\s*(?P<name>[^/\s<]+)/(?P<uri>sips?:\S+)\s+.*?\b(?P<status>Registered|Unregistered|"
    r"Rejected|Stopped|Failed)\b"
)
CONTACT_LINE = re.compile(
    r"^\s*Contact:\s+(?P<aor>[^/\s<]+)/(?P<uri>\S+)\s+\S+\s+"
    r"(?P<status>Avail|Unavail|NonQual|Unknown|Created|Removed)\b"
)
ENDPOINT_LINE = re.compile(r"^\s*Endpoint:\s+(?P<name>[^/\s<]+)")
AOR_LINE = re.compile(r"^\s*Aor:\s+(?P<aor>[^/\s<]+)")
QUEUE_LINE = re.compile(r"^(?P<name>\S+) has \d+ calls")
COUNT_LINE = re.compile(
    r"^(?P<count>\d+) (?P<what>active channels?|active calls?|calls? processed)"
)
REACHABLE = {"Avail", "NonQual", "Unknown", "Created"}


class UnexpectedAnswer(ValueError):
    """Asterisk answered in a form the parser does not know."""


@dataclass(frozen=True)
class ChannelCounts:
    """`core show channels count`: calls are Asterisk's own count of calls in progress (one
    per call, whatever its legs); channels count every leg."""

    active_channels: int
    active_calls: int
    calls_processed: int


@dataclass
class Contacts:
    reachable: int = 0
    unreachable: int = 0
    qualified_reachable: int = 0


@dataclass
class PjsipState:
    registrations: dict[str, str] = field(default_factory=dict)  # name -> status
    endpoint_aors: dict[str, list[str]] = field(default_factory=dict)
    contacts: dict[str, Contacts] = field(default_factory=dict)  # AOR -> its contacts


def parse_version(output: str) -> str:
    """'Asterisk 22.10.1+dfsg-1 built by ...' -> '22.10.1+dfsg-1'."""
    # Asterisk may print warnings first (e.g. about seeding its entity ID): find the line.
    match = re.search(r"^Asterisk\s+(\S+)", output, re.MULTILINE)
    if not match:
        raise UnexpectedAnswer(f"unexpected answer to 'core show version': {output[:80]!r}")
    return match.group(1)


def parse_uptime(output: str) -> int | None:
    """Seconds from 'System uptime: 1234' (the `core show uptime seconds` form)."""
    match = re.search(r"System uptime:\s*(\d+)", output)
    return int(match.group(1)) if match else None


def parse_channel_counts(output: str) -> ChannelCounts:
    counts: dict[str, int] = {}
    for line in output.splitlines():
        match = COUNT_LINE.match(line.strip())
        if match:
            counts[match["what"].rstrip("s").split()[-1]] = int(match["count"])
    if "call" not in counts:
        raise UnexpectedAnswer(f"unexpected answer to 'core show channels count': {output[:80]!r}")
    return ChannelCounts(
        active_channels=counts.get("channel", 0),
        active_calls=counts["call"],
        calls_processed=counts.get("processed", 0),
    )


def parse_registrations(output: str) -> dict[str, str]:
    """`pjsip show registrations`: registration name -> its status."""
    found = {}
    for line in output.splitlines():
        match = REGISTRATION_LINE.match(line)
        if match:
            found[match["name"]] = match["status"]
    return found


def parse_contacts(output: str) -> dict[str, Contacts]:
    """`pjsip show contacts`: AOR -> how many of its contacts answer."""
    found: dict[str, Contacts] = {}
    for line in output.splitlines():
        match = CONTACT_LINE.match(line)
        if not match:
            continue
        contacts = found.setdefault(match["aor"], Contacts())
        if match["status"] in REACHABLE:
            contacts.reachable += 1
            contacts.qualified_reachable += match["status"] == "Avail"
        else:
            contacts.unreachable += 1
    return found


def parse_endpoints(output: str) -> dict[str, list[str]]:
    """`pjsip show endpoints`: endpoint name -> its AORs."""
    endpoints: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in output.splitlines():
        endpoint = ENDPOINT_LINE.match(line)
        if endpoint:
            current = endpoints.setdefault(endpoint["name"], [])
            continue
        aor = AOR_LINE.match(line)
        if aor and current is not None:
            current.append(aor["aor"])
    return endpoints


def parse_queues(output: str) -> set[str]:
    """`queue show`: the names of the queues Asterisk has loaded."""
    return {m["name"] for line in output.splitlines() if (m := QUEUE_LINE.match(line))}


def channels_per_endpoint(concise: str) -> dict[str, int]:
    """`core show channels concise`: 'PJSIP/trunk1-0000001!...' lines -> {'trunk1': 1}."""
    counts: dict[str, int] = {}
    for line in concise.splitlines():
        channel = line.split("!", 1)[0]
        if channel.startswith("PJSIP/") and "-" in channel:
            name = channel[len("PJSIP/") :].rsplit("-", 1)[0]
            counts[name] = counts.get(name, 0) + 1
    return counts


def parse_group_count(value: str) -> int:
    """The value of GROUP_COUNT(...) (empty when the group has never been used: 0)."""
    return int(value) if value.strip().isdigit() else 0


@dataclass(frozen=True)
class Channel:
    """One channel as AMI's CoreShowChannels lists it; the linked id is the call's (every
    channel of one call carries the unique id of the channel that started it)."""

    name: str
    unique_id: str
    linked_id: str
    state: str  # Asterisk's ChannelStateDesc: Down, Ring, Ringing, Up, Busy, ...
    caller_number: str
    caller_name: str
    connected_number: str
    connected_name: str
    context: str
    exten: str
    application: str
    duration_seconds: int

    @property
    def endpoint(self) -> str | None:
        """'PJSIP/101-0000002a' -> '101'; None for other technologies (Local/...)."""
        if not self.name.startswith("PJSIP/") or "-" not in self.name:
            return None
        return self.name[len("PJSIP/") :].rsplit("-", 1)[0]


DURATION = re.compile(r"(\d+):([0-5]\d):([0-5]\d)")


def _caller_field(value: str) -> str:
    return "" if value == "<unknown>" else value  # AMI's word for an empty caller id


def parse_core_channel(event: dict[str, str]) -> Channel:
    """A CoreShowChannel event (its Duration as HH:MM:SS)."""
    if not event.get("Channel") or not event.get("Uniqueid"):
        raise UnexpectedAnswer(f"CoreShowChannel without a channel: {sorted(event)!r}")
    duration = DURATION.fullmatch(event.get("Duration", ""))
    seconds = 0
    if duration:
        hours, minutes, secs = (int(part) for part in duration.groups())
        seconds = hours * 3600 + minutes * 60 + secs
    return Channel(
        name=event["Channel"],
        unique_id=event["Uniqueid"],
        linked_id=event.get("Linkedid") or event["Uniqueid"],
        state=event.get("ChannelStateDesc", ""),
        caller_number=_caller_field(event.get("CallerIDNum", "")),
        caller_name=_caller_field(event.get("CallerIDName", "")),
        connected_number=_caller_field(event.get("ConnectedLineNum", "")),
        connected_name=_caller_field(event.get("ConnectedLineName", "")),
        context=event.get("Context", ""),
        exten=event.get("Exten", ""),
        application=event.get("Application", ""),
        duration_seconds=seconds,
    )


MANAGER_SESSION_LINE = re.compile(
    r"^\s*(?P<user>\S+)\s+(?P<address>\S+)\s+\d+\s+\d+\s+(?P<fd>\d+)\s+\d+\s+[0-9a-fA-F]+\s+"
)


@dataclass(frozen=True)
class ManagerSession:
    """One AMI session of `manager show connected`; Asterisk names it by its descriptor."""

    user: str
    address: str
    descriptor: int


def parse_manager_sessions(output: str) -> list[ManagerSession]:
    return [
        ManagerSession(m["user"], m["address"], int(m["fd"]))
        for line in output.splitlines()
        if (m := MANAGER_SESSION_LINE.match(line))
    ]
