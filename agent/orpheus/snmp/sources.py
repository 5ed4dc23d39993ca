"""The other features' status objects, turned into the values of their ORPHEUS-MIB areas.

SNMP reads each feature's typed status directly (no HTTP request, no guessing of key names):
the unit's status, the licence, the update slots, and HA and the firewall's blocks through
small Protocols (HaView, BlockView) that bootstrap satisfies.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol, TypeVar

from orpheus.licensing.status import LicenceStatus
from orpheus.snmp.providers import AreaValues, Provider
from orpheus.status import UnitStatus
from orpheus.update.status import UpdateStatus

UNLIMITED = -1  # orpheusLicenseLimit of a figure the licence does not limit
T = TypeVar("T")


class FailoverView(Protocol):
    @property
    def time(self) -> float: ...  # seconds since the epoch


class HaView(Protocol):
    """What the HA area reads of HA's status (orpheus.ha.status.HaStatus has these)."""

    @property
    def role(self) -> str: ...

    @property
    def peer_reachable(self) -> bool: ...

    @property
    def last_failover(self) -> FailoverView | None: ...

    @property
    def sync_lag_seconds(self) -> float | None: ...


class BlockView(Protocol):
    """What the firewall area reads (orpheus.firewall.control.BlockCounts has these)."""

    @property
    def blocked(self) -> int | None: ...

    @property
    def blocks_made(self) -> int: ...


def iso_time(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def status_values(status: UnitStatus, serial: str | None) -> AreaValues:
    return {
        "version": status.release.version,
        "build_date": status.release.build_date,
        "booted_slot": status.booted_slot,
        "board": status.board,
        "serial": serial,
        "weak_passwords": status.weak_passwords,
    }


def _limit(value: int | None) -> int:
    return UNLIMITED if value is None else value


def license_values(licence: LicenceStatus) -> AreaValues:
    limits, usage = licence.limits, licence.usage
    figures = (  # MIB resource name, its limit, its usage
        ("calls", limits.concurrent_calls, usage.concurrent_calls),
        ("users", limits.extensions, usage.extensions),
        ("trunks", limits.trunks, usage.trunks),
        ("queues", limits.queues, usage.queues),
    )
    return {
        "tier": licence.tier,
        "add_ons": ", ".join(licence.addons),
        "support_days_left": licence.update_support_days_left,
        "limits": [
            {"index": index, "resource": name, "limit": _limit(limit), "usage": used}
            for index, (name, limit, used) in enumerate(figures, start=1)
        ],
    }


def update_values(update: UpdateStatus) -> AreaValues:
    other = update.other_slot
    last = update.last_install or {}
    fallback = update.fallback or {}
    return {
        "other_version": other.version if other else None,
        "other_state": other.state if other else None,
        "last_result": last.get("result"),
        "last_time": last.get("at"),
        "fallback_state": fallback.get("state"),
        "fallback_time": fallback.get("at"),
    }


def ha_values(ha: HaView) -> AreaValues:
    failover = ha.last_failover
    return {
        "role": ha.role,
        "peer_reachable": ha.peer_reachable,
        "last_failover": iso_time(failover.time) if failover else "",
        "sync_lag_seconds": ha.sync_lag_seconds,
    }


def firewall_values(counts: BlockView) -> AreaValues:
    return {"blocked": counts.blocked, "blocks_made": counts.blocks_made}


def provider(read: Callable[[], T], convert: Callable[[T], AreaValues]) -> Provider:
    """A provider that reads a status object and converts it into its area's values."""
    return lambda: convert(read())
