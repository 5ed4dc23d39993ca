"""HaStatus serialises to the JSON shape GET /api/v1/ha has always answered."""

from __future__ import annotations

import json

from orpheus.ha.status import Failover, Generations, HaStatus

KEYS = [
    "paired", "role", "vrrp_state", "peer", "peer_reachable", "peer_role", "vip", "interface",
    "priority", "nopreempt", "advert_interval", "witness", "witness_reachable", "may_be_master",
    "last_failover", "sync_lag_seconds", "last_sync_lag_seconds", "applying_synced_config",
    "generation", "config_events", "node_fingerprint",
]  # fmt: skip


def _status(**changes: object) -> HaStatus:
    fields: dict[str, object] = dict.fromkeys(KEYS)
    fields.update(
        paired=True, role="master", vrrp_state="MASTER", peer_reachable=True,
        may_be_master="ok", applying_synced_config=False, generation=Generations(4, 3),
        config_events=(), node_fingerprint="ab" * 32,
    )  # fmt: skip
    fields.update(changes)
    return HaStatus(**fields)  # type: ignore[arg-type]


def test_keys_and_nesting() -> None:
    status = _status(
        last_failover=Failover(1700000000.5, "peer stopped answering", "master"),
        config_events=({"time": 1.0, "kind": "refused", "detail": "x"},),
    )
    data = status.to_dict()
    assert list(data) == KEYS
    assert data["generation"] == {"local": 4, "peer": 3}
    assert data["last_failover"] == {
        "time": 1700000000.5,
        "reason": "peer stopped answering",
        "role": "master",
    }
    assert data["config_events"] == [{"time": 1.0, "kind": "refused", "detail": "x"}]
    json.dumps(data)  # plain JSON types only


def test_unpaired_shape() -> None:
    data = _status(paired=False, role="unpaired", generation=Generations(0, None)).to_dict()
    assert data["last_failover"] is None
    assert data["generation"] == {"local": 0, "peer": None}
    assert data["config_events"] == []
