"""The unit's identity, written once at the factory onto the data partition.

It holds the serial number, the board, the MAC address of the first NIC and a hardware
fingerprint (a digest of the DMI product UUID and the serial of the disk holding /data).
Licences are bound to the serial and the fingerprint: a disk moved into other hardware keeps
its identity file but no longer matches the hardware it runs on.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from orpheus import files
from orpheus.licensing.tiers import BOARDS

SERIAL_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$")


class IdentityError(ValueError):
    pass


@dataclass(frozen=True)
class Hardware:
    mac: str | None
    product_uuid: str | None
    disk_serial: str | None

    @property
    def fingerprint(self) -> str:
        facts = f"product_uuid={self.product_uuid or ''}\ndisk_serial={self.disk_serial or ''}\n"
        return hashlib.sha256(facts.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Identity:
    serial: str
    board: str
    mac: str | None
    product_uuid: str | None
    disk_serial: str | None
    fingerprint: str
    manufactured: str  # ISO date: the 12 months of included update support start here
    # Written by the factory line (factory/console.py), absent from a development identity:
    # the base tier, every NIC's MAC, the unit's own Ed25519 public key (PEM) and the
    # factory's signature over all the other fields (licensing/factory_signature.py).
    tier: str | None = None
    macs: tuple[str, ...] | None = None
    public_key: str | None = None
    factory_signature: str | None = None

    def as_dict(self) -> dict[str, object]:
        fields = asdict(self)
        for name in FACTORY_FIELDS:
            if fields[name] is None:
                del fields[name]
        if self.macs is not None:
            fields["macs"] = list(self.macs)
        return fields


FACTORY_FIELDS = ("tier", "macs", "public_key", "factory_signature")


def read_fact(path: Path) -> str | None:
    try:
        value = path.read_text().strip()
    except OSError:
        return None
    return value or None


def first_nic_mac(sysfs: Path) -> str | None:
    """The MAC of the first physical NIC by name (interfaces with a device behind them)."""
    net = sysfs / "class/net"
    names = sorted(p.name for p in net.glob("*") if p.name != "lo") if net.is_dir() else []
    physical = [n for n in names if (net / n / "device").exists()]
    for name in physical or names:
        mac = read_fact(net / name / "address")
        if mac and mac != "00:00:00:00:00:00":
            return mac
    return None


def data_disk(sysfs: Path, data_dir: Path) -> Path | None:
    """The sysfs directory of the whole disk holding data_dir (not its partition)."""
    try:
        dev = data_dir.stat().st_dev
    except OSError:
        return None
    block = sysfs / "dev/block" / f"{os.major(dev)}:{os.minor(dev)}"
    if not block.exists():
        return None
    disk = block.resolve()
    if (disk / "partition").exists():
        disk = disk.parent
    return disk


def disk_serial(sysfs: Path, data_dir: Path) -> str | None:
    """Serial of the disk holding data_dir, from sysfs (virtio `serial`, SCSI/NVMe `device/`)."""
    disk = data_disk(sysfs, data_dir)
    if disk is None:
        return None
    for name in ("serial", "device/serial", "wwid", "device/wwid"):
        value = read_fact(disk / name)
        if value:
            return value
    return None


def read_hardware(sysfs: Path, data_dir: Path) -> Hardware:
    return Hardware(
        mac=first_nic_mac(sysfs),
        product_uuid=read_fact(sysfs / "class/dmi/id/product_uuid"),
        disk_serial=disk_serial(sysfs, data_dir),
    )


def make_identity(
    serial: str, board: str, hardware: Hardware, manufactured: datetime.date | None = None
) -> Identity:
    if not SERIAL_PATTERN.fullmatch(serial):
        raise IdentityError(f"bad serial {serial!r}: 3-64 letters, digits, '.', '_' or '-'")
    if board not in BOARDS:
        raise IdentityError(f"unknown board {board!r} (known: {', '.join(BOARDS)})")
    return Identity(
        serial=serial,
        board=board,
        mac=hardware.mac,
        product_uuid=hardware.product_uuid,
        disk_serial=hardware.disk_serial,
        fingerprint=hardware.fingerprint,
        manufactured=(manufactured or datetime.date.today()).isoformat(),
    )


def identity_from_fields(raw: object) -> Identity:
    if not isinstance(raw, dict):
        raise TypeError("not a JSON object")
    macs = raw.get("macs")
    if macs is not None:
        if not isinstance(macs, list) or not all(isinstance(m, str) for m in macs):
            raise TypeError("macs: not a list of strings")
        raw = {**raw, "macs": tuple(macs)}
    return Identity(**raw)


def load_identity_fields(path: Path) -> dict[str, object] | None:
    """The file's fields as written (the factory signature covers them exactly)."""
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise IdentityError(f"{path}: unreadable identity: {error}") from error
    if not isinstance(raw, dict):
        raise IdentityError(f"{path}: unreadable identity: not a JSON object")
    return raw


def load_identity(path: Path) -> Identity | None:
    try:
        raw = json.loads(path.read_text())
        return identity_from_fields(raw)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as error:
        raise IdentityError(f"{path}: unreadable identity: {error}") from error


def save_identity(path: Path, identity: Identity) -> None:
    text = json.dumps(identity.as_dict(), indent=2, sort_keys=True) + "\n"
    files.write_file(path, text, mode=0o600)
