"""SNMP's HA area reads HA's typed status (HaStatus) directly: no HTTP, no key guessing."""

from __future__ import annotations

from orpheus.ha.status import Failover, Generations, HaStatus
from orpheus.snmp import sources


def _status(**changes: object) -> HaStatus:
    fields: dict[str, object] = {
        "paired": True, "role": "master", "vrrp_state": "MASTER", "peer": "192.0.2.2",
        "peer_reachable": True, "peer_role": "slave", "vip": "192.0.2.100/24",
        "interface": "eth0", "priority": 150, "nopreempt": True, "advert_interval": 0.1,
        "witness": None, "witness_reachable": None, "may_be_master": "ok",
        "last_failover": Failover(1796155713.5, "peer stopped answering", "master"),
        "sync_lag_seconds": 0.25, "last_sync_lag_seconds": 0.1,
        "applying_synced_config": False, "generation": Generations(3, 3), "config_events": (),
        "node_fingerprint": "ab:cd",
    }  # fmt: skip
    fields.update(changes)
    return HaStatus(**fields)  # type: ignore[arg-type]


def test_the_ha_area_from_the_typed_status() -> None:
    assert sources.ha_values(_status()) == {
        "role": "master",
        "peer_reachable": True,
        "last_failover": "2026-12-01T20:08:33Z",
        "sync_lag_seconds": 0.25,
    }


def test_an_unpaired_unit_has_no_failover() -> None:
    values = sources.ha_values(
        _status(role="unpaired", peer_reachable=False, last_failover=None, sync_lag_seconds=None)
    )
    assert values["last_failover"] == ""
    assert values["role"] == "unpaired" and values["sync_lag_seconds"] is None
