"""ORPHEUS-MIB's storage table from the storage registry's targets, read with snmpwalk
through the host's snmpd, and the traps of a drive plugged in, pulled and gone, received by
snmptrapd (the stick a directory: no USB hardware here).

The SNMP feature runs in this process with the real storage provider over a registry whose
mounts are directories, as tests/snmp/test_traps.py runs it with its own providers.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from orpheus.recordings.store import RecordingStore
from orpheus.snmp.feature import SnmpFeature
from orpheus.snmp.providers import ProviderRegistry
from orpheus.snmp.storage_values import StorageValues
from orpheus.storage.registry import StorageTargets
from tests.snmp.test_unit_snmp import parse_walk
from tests.snmp.unit import ARC, host_snmp, wait_for
from tests.unit.storage.parts import SANDISK_VFAT, make_recording, registry

TABLE = ARC + ".1.6.1.1"  # orpheusStorageEntry
USB = "usb-5e1c-8a2f"


@dataclass
class Unit:
    targets: StorageTargets
    feature: SnmpFeature
    snmp_port: int
    trap_log: Path

    def walk(self) -> dict[str, str]:
        result = subprocess.run(
            ["snmpwalk", "-v2c", "-c", "mon", "-On", "-t", "1", "-r", "1",
             f"127.0.0.1:{self.snmp_port}", TABLE],
            capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return {oid.removeprefix(TABLE): value for oid, value in parse_walk(result.stdout).items()}

    def traps(self) -> str:
        return self.trap_log.read_text() if self.trap_log.exists() else ""


@pytest.fixture
def unit(tmp_path: Path) -> Iterator[Unit]:
    targets = registry(tmp_path)
    providers = ProviderRegistry()
    providers.register("storage", StorageValues(targets))
    with host_snmp(tmp_path, providers, ("rocommunity mon 127.0.0.1",)) as snmp:
        yield Unit(targets, snmp.feature, snmp.snmp_port, snmp.trap_log)


def test_the_table_lists_the_targets_and_follows_a_plug_and_a_pull(unit: Unit) -> None:
    make_recording(RecordingStore(unit.targets.get("internal").recordings_dir), "1764650000.1")
    unit.feature.refresher.refresh()
    alone = wait_for(lambda: (v := unit.walk()).get(".6.1") == "1" and v, "internal counted")
    assert alone[".2.1"] == "internal" and alone[".3.1"] == "1"  # mounted: true
    assert alone[".7.1"] in ("1", "4")  # mounted(1), or full(4) on a nearly full test disk
    assert int(alone[".8.1"]) > 70_000 and int(alone[".4.1"]) >= int(alone[".5.1"]) > 0
    assert not any(oid.endswith(".2") for oid in alone)  # no drive: one row

    target = unit.targets.device_added(SANDISK_VFAT)
    assert target is not None
    unit.feature.refresher.refresh()
    plugged = unit.walk()
    assert (plugged[".2.2"], plugged[".7.2"], plugged[".9.2"]) == (USB, "1", "ARCHIVE")
    assert plugged[".6.2"] == "0"
    wait_for(lambda: f"{ARC}.0.12" in unit.traps(), "orpheusStorageTargetAdded")
    assert f'"{USB}"' in unit.traps()

    target.root.rmdir()  # pulled: its mount point reads as an empty directory, then gone
    unit.feature.refresher.refresh()
    pulled = unit.walk()
    assert (pulled[".3.2"], pulled[".7.2"]) == ("2", "3")  # not mounted, unreachable(3)
    assert ".5.2" not in pulled  # no figures
    wait_for(lambda: f"{ARC}.0.14" in unit.traps(), "orpheusStorageStateChanged")

    unit.targets.device_removed(SANDISK_VFAT)
    unit.feature.refresher.refresh()
    assert not any(oid.endswith(".2") for oid in unit.walk())
    wait_for(lambda: f"{ARC}.0.13" in unit.traps(), "orpheusStorageTargetRemoved")
