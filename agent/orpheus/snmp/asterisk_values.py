"""The "asterisk" area of ORPHEUS-MIB: state, calls, trunks and endpoints.

Asked of the Asterisk adapter (its console, which works whatever manager.conf says). Trunks
are PJSIP outbound registrations; a trunk is reachable when a qualified contact of its AOR
answers, or, without qualified contacts, while it is registered.
"""

from __future__ import annotations

from typing import Any

from orpheus.asterisk.adapter import Asterisk
from orpheus.asterisk.control import AsteriskUnavailable
from orpheus.asterisk.parsers import Contacts, PjsipState


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


def collect(asterisk: Asterisk) -> dict[str, Any]:
    """The area's values; Asterisk not answering gives {"up": False} and empty tables."""
    try:
        uptime = asterisk.uptime_seconds()
        counts = asterisk.channel_counts()
        channels = asterisk.channels_per_endpoint()
        state = asterisk.pjsip_state()
    except AsteriskUnavailable:
        return {"up": False, "trunks": [], "endpoints": []}
    return {
        "up": True,
        "uptime_seconds": uptime,
        "active_channels": counts.active_channels,
        "active_calls": counts.active_calls,
        "calls_processed": counts.calls_processed,
        "trunks": _trunk_rows(state, channels),
        "endpoints": _endpoint_rows(state),
    }
