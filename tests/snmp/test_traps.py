"""Traps for an HA role change and a licence change reach snmptrapd on 127.0.0.1.

The SNMP feature runs in this process with providers the test controls (the HA and
licensing services are other features), against the host's snmpd and snmptrapd.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orpheus.snmp.feature import SnmpFeature
from orpheus.snmp.providers import ProviderRegistry
from tests.snmp.unit import ARC, host_snmp, wait_for


class Areas:
    def __init__(self) -> None:
        self.ha: dict[str, Any] = {"role": "master", "peer_reachable": True}
        self.license: dict[str, Any] = {
            "tier": "Mini",
            "add_ons": "",
            "support_days_left": 200,
            "limits": [{"index": 1, "resource": "calls", "limit": 10, "usage": 0}],
        }


@pytest.fixture
def traps(tmp_path: Path) -> Iterator[tuple[Areas, Path, SnmpFeature]]:
    areas = Areas()
    registry = ProviderRegistry()
    registry.register("ha", lambda: areas.ha)
    registry.register("license", lambda: areas.license)
    with host_snmp(tmp_path, registry) as snmp:
        yield areas, snmp.trap_log, snmp.feature


def _logged(trap_log: Path, text: str) -> bool:
    return trap_log.exists() and text in trap_log.read_text()


def test_ha_role_change_sends_a_trap(traps: tuple[Areas, Path, SnmpFeature]) -> None:
    areas, trap_log, feature = traps
    areas.ha = {"role": "slave", "peer_reachable": False}
    feature.refresher.refresh()
    wait_for(lambda: _logged(trap_log, f"{ARC}.0.1"), "orpheusHaRoleChanged")
    assert '"slave"' in trap_log.read_text()


def test_licence_change_and_expiry_send_traps(traps: tuple[Areas, Path, SnmpFeature]) -> None:
    areas, trap_log, feature = traps
    areas.license = {**areas.license, "tier": "Lite"}
    feature.refresher.refresh()
    wait_for(lambda: _logged(trap_log, f"{ARC}.0.6"), "orpheusLicenseChanged")
    assert '"Lite"' in trap_log.read_text()
    areas.license = {**areas.license, "support_days_left": 20}
    feature.refresher.refresh()
    wait_for(lambda: _logged(trap_log, f"{ARC}.0.4"), "orpheusLicenseNearExpiry")
    areas.license = {**areas.license, "support_days_left": 0}
    feature.refresher.refresh()
    wait_for(lambda: _logged(trap_log, f"{ARC}.0.5"), "orpheusLicenseExpired")


def test_usage_alone_sends_no_licence_trap(traps: tuple[Areas, Path, SnmpFeature]) -> None:
    areas, _, feature = traps
    before = len(feature.sent)
    areas.license = {
        **areas.license,
        "limits": [{"index": 1, "resource": "calls", "limit": 10, "usage": 7}],
    }
    feature.refresher.refresh()
    assert len(feature.sent) == before
