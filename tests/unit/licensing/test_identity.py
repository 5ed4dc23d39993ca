"""The unit's identity (orpheus.licensing.identity): hardware facts from a fake sysfs tree,
the fingerprint, and the identity file."""

from __future__ import annotations

import datetime
import os
import stat
from pathlib import Path

import pytest

from orpheus.licensing.identity import (
    Hardware,
    IdentityError,
    disk_serial,
    first_nic_mac,
    load_identity,
    make_identity,
    read_hardware,
    save_identity,
)

HARDWARE = Hardware("52:54:00:12:34:56", "uuid-a", "disk-1")


def _nic(sysfs: Path, name: str, mac: str, physical: bool) -> None:
    nic = sysfs / "class/net" / name
    nic.mkdir(parents=True)
    (nic / "address").write_text(mac + "\n")
    if physical:
        (nic / "device").mkdir()


def test_the_first_physical_nic_by_name_gives_the_mac(tmp_path: Path) -> None:
    _nic(tmp_path, "lo", "00:00:00:00:00:00", False)
    _nic(tmp_path, "br0", "02:00:00:00:00:01", False)
    _nic(tmp_path, "eth1", "52:54:00:00:00:02", True)
    _nic(tmp_path, "eth0", "52:54:00:00:00:01", True)
    assert first_nic_mac(tmp_path) == "52:54:00:00:00:01"


def test_without_a_physical_nic_any_but_lo_will_do(tmp_path: Path) -> None:
    assert first_nic_mac(tmp_path) is None  # no class/net at all
    _nic(tmp_path, "lo", "00:00:00:00:00:00", False)
    _nic(tmp_path, "dummy0", "00:00:00:00:00:00", False)
    assert first_nic_mac(tmp_path) is None
    _nic(tmp_path, "veth0", "02:00:00:00:00:09", False)
    assert first_nic_mac(tmp_path) == "02:00:00:00:00:09"


def _block(sysfs: Path, data_dir: Path, partition: bool) -> Path:
    """sysfs's dev/block/MAJ:MIN link for data_dir's device, to a disk (or its partition)."""
    dev = data_dir.stat().st_dev
    disk = sysfs / "devices/virtual/block/vda"
    target = disk / "vda1" if partition else disk
    target.mkdir(parents=True)
    if partition:
        (target / "partition").write_text("1\n")
    links = sysfs / "dev/block"
    links.mkdir(parents=True)
    (links / f"{os.major(dev)}:{os.minor(dev)}").symlink_to(target)
    return disk


@pytest.mark.parametrize("partition", [True, False])
def test_the_disk_serial_is_the_whole_disks(tmp_path: Path, partition: bool) -> None:
    sysfs, data = tmp_path / "sys", tmp_path / "data"
    data.mkdir()
    assert disk_serial(sysfs, data) is None  # no sysfs entry for the device
    disk = _block(sysfs, data, partition)
    assert disk_serial(sysfs, data) is None  # the disk has no serial
    (disk / "device").mkdir()
    (disk / "device/wwid").write_text("naa.5000\n")
    assert disk_serial(sysfs, data) == "naa.5000"
    (disk / "serial").write_text("VIRTIO-1\n")
    assert disk_serial(sysfs, data) == "VIRTIO-1"  # the first name found wins
    assert disk_serial(sysfs, tmp_path / "missing") is None


def test_read_hardware_gathers_the_facts(tmp_path: Path) -> None:
    (tmp_path / "class/dmi/id").mkdir(parents=True)
    (tmp_path / "class/dmi/id/product_uuid").write_text("uuid-a\n")
    _nic(tmp_path, "eth0", "52:54:00:12:34:56", True)
    assert read_hardware(tmp_path, tmp_path / "nowhere") == Hardware(
        "52:54:00:12:34:56", "uuid-a", None
    )


def test_the_fingerprint_follows_the_uuid_and_disk_not_the_mac() -> None:
    assert len(HARDWARE.fingerprint) == 32
    assert HARDWARE.fingerprint == Hardware(None, "uuid-a", "disk-1").fingerprint
    assert HARDWARE.fingerprint != Hardware(HARDWARE.mac, "uuid-b", "disk-1").fingerprint
    assert HARDWARE.fingerprint != Hardware(HARDWARE.mac, "uuid-a", "disk-2").fingerprint
    assert Hardware(None, None, None).fingerprint == Hardware(None, "", "").fingerprint


def test_make_identity_checks_serial_and_board() -> None:
    identity = make_identity("ORP-1", "mini", HARDWARE, datetime.date(2026, 1, 10))
    assert (identity.serial, identity.board, identity.manufactured) == (
        "ORP-1", "mini", "2026-01-10",
    )  # fmt: skip
    assert identity.fingerprint == HARDWARE.fingerprint and identity.mac == HARDWARE.mac
    assert make_identity("ORP-1", "vm", HARDWARE).manufactured == datetime.date.today().isoformat()
    for serial in ("ab", "-ORP", "ORP 1", "x" * 65):
        with pytest.raises(IdentityError, match="bad serial"):
            make_identity(serial, "mini", HARDWARE)
    with pytest.raises(IdentityError, match=r"unknown board 'v5' \(known: mini, lite"):
        make_identity("ORP-1", "v5", HARDWARE)


def test_the_identity_file_round_trips_root_only(tmp_path: Path) -> None:
    path = tmp_path / "identity.json"
    assert load_identity(path) is None
    identity = make_identity("ORP-1", "mini", HARDWARE, datetime.date(2026, 1, 10))
    save_identity(path, identity)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_identity(path) == identity


@pytest.mark.parametrize("text", ["not json", '{"serial": "ORP-1"}', "[]"])
def test_a_broken_identity_file_is_an_identity_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "identity.json"
    path.write_text(text)
    with pytest.raises(IdentityError, match="unreadable identity"):
        load_identity(path)
