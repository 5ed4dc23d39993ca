"""What GET /api/v1/ha answers, typed: SNMP reads the same object."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Failover:
    """The last change of this node into or out of MASTER, and why."""

    time: float
    reason: str
    role: str  # the role taken: "master", "slave", "fault", ...


@dataclass(frozen=True)
class Generations:
    local: int
    peer: int | None


@dataclass(frozen=True)
class HaStatus:
    paired: bool
    role: str  # "master", "slave", "fault", "stopped", "init", "unpaired"
    vrrp_state: str  # keepalived's name: MASTER, BACKUP, FAULT, STOP, INIT or UNPAIRED
    peer: str | None
    peer_reachable: bool
    peer_role: str | None
    vip: str | None
    interface: str | None
    priority: int | None
    nopreempt: bool | None
    advert_interval: float | None
    witness: str | None
    witness_reachable: bool | None
    may_be_master: str  # "ok" or why not
    last_failover: Failover | None
    sync_lag_seconds: float | None
    last_sync_lag_seconds: float | None
    applying_synced_config: bool
    generation: Generations
    config_events: tuple[dict[str, object], ...]
    node_fingerprint: str

    def to_dict(self) -> dict[str, object]:
        """The JSON shape of GET /api/v1/ha (nested objects as JSON objects, events a list)."""
        data = dataclasses.asdict(self)
        data["config_events"] = [dict(event) for event in self.config_events]
        return data
