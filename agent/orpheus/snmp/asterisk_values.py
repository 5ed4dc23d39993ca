"""The "asterisk" area of ORPHEUS-MIB: state, calls, trunks and endpoints from the CLI.

Read through `asterisk -rx` (the channel that works whatever manager.conf says). Trunks are
PJSIP outbound registrations; a trunk is reachable when a qualified contact of its AOR
answers, or, without qualified contacts, while it is registered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from orpheus.asterisk.control import AsteriskUnavailable, parse_uptime, run_cli

CliRunner = Callable[[str], str]

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
COUNT_LINE = re.compile(
    r"^(?P<count>\d+) (?P<what>active channels?|active calls?|calls? processed)"
)
REACHABLE = {"Avail", "NonQual", "Unknown", "Created"}


@dataclass
class Contacts:
    reachable: int = 0
    unreachable: int = 0
    qualified_reachable: int = 0


@dataclass
class PjsipState:
    registrations: dict[str, str] = field(default_factory=dict)
    endpoint_aors: dict[str, list[str]] = field(default_factory=dict)
    contacts: dict[str, Contacts] = field(default_factory=dict)


def parse_registrations(output: str) -> dict[str, str]:
    found = {}
    for line in output.splitlines():
        match = REGISTRATION_LINE.match(line)
        if match:
            found[match["name"]] = match["status"]
    return found


def parse_contacts(output: str) -> dict[str, Contacts]:
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
    """Endpoint name -> its AORs, from `pjsip show endpoints`."""
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


def parse_counts(output: str) -> dict[str, int]:
    keys = {"active channel": "active_channels", "active call": "active_calls"}
    counts = {}
    for line in output.splitlines():
        match = COUNT_LINE.match(line.strip())
        if match:
            what = match["what"].rstrip("s")
            counts[keys.get(what, "calls_processed")] = int(match["count"])
    return counts


def channels_per_endpoint(concise: str) -> dict[str, int]:
    """'PJSIP/trunk1-0000001!...' lines -> {'trunk1': 1}."""
    counts: dict[str, int] = {}
    for line in concise.splitlines():
        channel = line.split("!", 1)[0]
        if channel.startswith("PJSIP/") and "-" in channel:
            name = channel[len("PJSIP/") :].rsplit("-", 1)[0]
            counts[name] = counts.get(name, 0) + 1
    return counts


def _trunk_rows(state: PjsipState, channels: dict[str, int]) -> list[dict[str, Any]]:
    rows = []
    for index, name in enumerate(sorted(state.registrations), start=1):
        registered = state.registrations[name] == "Registered"
        aors = state.endpoint_aors.get(name, [name])
        contacts = [state.contacts[aor] for aor in aors if aor in state.contacts]
        qualified = [c for c in contacts if c.qualified_reachable or c.unreachable]
        reachable = any(c.qualified_reachable for c in qualified) if qualified else registered
        rows.append(
            {
                "index": index,
                "name": name,
                "registered": registered,
                "reachable": reachable,
                "active_calls": channels.get(name, 0),
            }
        )
    return rows


def _endpoint_rows(state: PjsipState) -> list[dict[str, Any]]:
    rows = []
    for index, name in enumerate(sorted(state.endpoint_aors), start=1):
        contacts = [state.contacts.get(aor, Contacts()) for aor in state.endpoint_aors[name]]
        rows.append(
            {
                "index": index,
                "name": name,
                "registered": sum(c.reachable for c in contacts),
                "unreachable": sum(c.unreachable for c in contacts),
            }
        )
    return rows


def collect(cli: CliRunner) -> dict[str, Any]:
    """The area's values; Asterisk not answering gives {"up": False} and empty tables."""
    try:
        uptime = parse_uptime(cli("core show uptime seconds"))
        counts = parse_counts(cli("core show channels count"))
        channels = channels_per_endpoint(cli("core show channels concise"))
        state = PjsipState(
            registrations=parse_registrations(cli("pjsip show registrations")),
            endpoint_aors=parse_endpoints(cli("pjsip show endpoints")),
            contacts=parse_contacts(cli("pjsip show contacts")),
        )
    except AsteriskUnavailable:
        return {"up": False, "trunks": [], "endpoints": []}
    return {
        "up": True,
        "uptime_seconds": uptime,
        **counts,
        "trunks": _trunk_rows(state, channels),
        "endpoints": _endpoint_rows(state),
    }


def cli_runner(base_command: Sequence[str]) -> CliRunner:
    return lambda command: run_cli(base_command, command)
