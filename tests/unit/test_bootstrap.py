"""Bootstrap's adapter of today's HA status dict to SNMP's HaView (until HaStatus is merged)."""

from __future__ import annotations

from typing import Any

from orpheus import bootstrap
from orpheus.snmp import sources


class StatusDictHa:
    """Stands in for HaFeature, which needs keepalived and TLS identities to construct."""

    def __init__(self, status: dict[str, Any]) -> None:
        self._status = status

    def status(self) -> dict[str, Any]:
        return self._status


def test_ha_view_from_the_status_dict() -> None:
    ha = StatusDictHa(
        {
            "role": "master",
            "peer_reachable": True,
            "last_failover": {"time": 1796155713.5, "reason": "peer stopped answering"},
            "sync_lag_seconds": 0.25,
        }
    )
    values = sources.ha_values(bootstrap._ha_view(ha))  # type: ignore[arg-type]
    assert values == {
        "role": "master",
        "peer_reachable": True,
        "last_failover": "2026-12-01T20:08:33Z",
        "sync_lag_seconds": 0.25,
    }


def test_ha_view_unpaired() -> None:
    ha = StatusDictHa({"role": "unpaired", "peer_reachable": False, "last_failover": None})
    view = bootstrap._ha_view(ha)  # type: ignore[arg-type]
    assert view.last_failover is None and view.sync_lag_seconds is None
