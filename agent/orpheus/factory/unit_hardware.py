"""What the factory line reads of a unit's hardware, from sysfs and /proc like
licensing/identity.read_hardware: DMI UUID, the data disk, every NIC, RAM and CPUs."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from orpheus.licensing.identity import data_disk, read_fact, read_hardware

SECTOR = 512  # sysfs `size` counts 512-byte sectors whatever the disk's own sector size


@dataclass(frozen=True)
class Disk:
    name: str
    model: str | None
    size_bytes: int
    serial: str | None


@dataclass(frozen=True)
class Nic:
    name: str
    mac: str | None


@dataclass(frozen=True)
class UnitHardware:
    product_uuid: str | None
    disk: Disk | None
    nics: tuple[Nic, ...]
    ram_bytes: int
    cpus: int
    mac: str | None  # the first NIC's, as the identity holds it
    fingerprint: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def physical_nics(sysfs: Path) -> tuple[Nic, ...]:
    """Interfaces with a device behind them (not lo, bridges or VLANs), by name."""
    net = sysfs / "class/net"
    names = sorted(p.name for p in net.glob("*") if p.name != "lo") if net.is_dir() else []
    physical = [n for n in names if (net / n / "device").exists()] or names
    return tuple(Nic(n, read_fact(net / n / "address")) for n in physical)


def _disk(sysfs: Path, data_dir: Path) -> Disk | None:
    disk = data_disk(sysfs, data_dir)
    if disk is None:
        return None
    sectors = read_fact(disk / "size") or "0"
    return Disk(
        name=disk.name,
        model=read_fact(disk / "device/model"),
        size_bytes=int(sectors) * SECTOR if sectors.isdigit() else 0,
        serial=read_hardware(sysfs, data_dir).disk_serial,
    )


def ram_bytes(proc: Path) -> int:
    try:
        text = (proc / "meminfo").read_text()
    except OSError:
        return 0
    match = re.search(r"^MemTotal:\s+(\d+) kB$", text, re.MULTILINE)
    return int(match.group(1)) * 1024 if match else 0


def cpu_count(sysfs: Path) -> int:
    cpus = sysfs / "devices/system/cpu"
    return sum(1 for p in cpus.glob("cpu*") if re.fullmatch(r"cpu[0-9]+", p.name))


def read_unit_hardware(sysfs: Path, proc: Path, data_dir: Path) -> UnitHardware:
    identity = read_hardware(sysfs, data_dir)
    return UnitHardware(
        product_uuid=identity.product_uuid,
        disk=_disk(sysfs, data_dir),
        nics=physical_nics(sysfs),
        ram_bytes=ram_bytes(proc),
        cpus=cpu_count(sysfs),
        mac=identity.mac,
        fingerprint=identity.fingerprint,
    )
