"""What the storage tests share: recordings made as the spool makes them (real age files,
facts through the store), udev properties recorded from real drives, and a mounter that
makes a directory where systemd would mount the drive (no USB hardware or systemd here)."""

from __future__ import annotations

import datetime
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orpheus.privacy import age
from orpheus.recordings.store import RecordingStore
from orpheus.storage.check import Checker
from orpheus.storage.devices import UsbVolume
from orpheus.storage.mounts import MountError
from orpheus.storage.registry import StorageTargets

IDENTITY = age.generate_identity()

# `udevadm info --query=property` of real drives, as pyudev hands them over.
SANDISK_VFAT = {
    "DEVPATH": "/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0"
    "/block/sdb/sdb1",
    "DEVNAME": "/dev/sdb1",
    "DEVTYPE": "partition",
    "SUBSYSTEM": "block",
    "ID_BUS": "usb",
    "ID_MODEL": "Cruzer_Blade",
    "ID_VENDOR": "SanDisk",
    "ID_SERIAL": "SanDisk_Cruzer_Blade_4C530001230905117185-0:0",
    "ID_FS_UUID": "5E1C-8A2F",
    "ID_FS_UUID_ENC": "5E1C-8A2F",
    "ID_FS_VERSION": "FAT32",
    "ID_FS_TYPE": "vfat",
    "ID_FS_USAGE": "filesystem",
    "ID_FS_LABEL": "ARCHIVE",
    "ID_PART_ENTRY_NUMBER": "1",
}
EXT4_DISK = {
    "DEVNAME": "/dev/sdc1",
    "DEVTYPE": "partition",
    "SUBSYSTEM": "block",
    "ID_BUS": "usb",
    "ID_FS_UUID": "3F2504E0-4F89-41D3-9A0C-0305E82C3301",
    "ID_FS_TYPE": "ext4",
    "ID_FS_USAGE": "filesystem",
    "ID_FS_LABEL": "records",
}
NTFS_DISK = {
    "DEVNAME": "/dev/sdd1",
    "SUBSYSTEM": "block",
    "ID_BUS": "usb",
    "ID_FS_UUID": "1A2B3C4D5E6F7A8B",
    "ID_FS_TYPE": "ntfs",
    "ID_FS_USAGE": "filesystem",
}
WHOLE_DISK = {  # the stick itself: a partition table, no filesystem
    "DEVNAME": "/dev/sdb",
    "DEVTYPE": "disk",
    "SUBSYSTEM": "block",
    "ID_BUS": "usb",
    "ID_PART_TABLE_TYPE": "dos",
}
SATA_DISK = {
    "DEVNAME": "/dev/sda3",
    "SUBSYSTEM": "block",
    "ID_BUS": "ata",
    "ID_FS_UUID": "0b7c8f1e-6c1a-4c3e-9d1e-2f6b8a9c0d1e",
    "ID_FS_TYPE": "ext4",
    "ID_FS_USAGE": "filesystem",
}


@dataclass
class DirectoryMounter:
    """Makes the mount point a directory (systemd's mount cannot run here); fails on demand."""

    mounted: list[Path] = field(default_factory=list)
    unmounted: list[Path] = field(default_factory=list)
    failure: str | None = None

    def mount(self, volume: UsbVolume, where: Path, *, read_only: bool = False) -> None:
        if self.failure:
            raise MountError(self.failure)
        where.mkdir(parents=True, exist_ok=True)
        self.mounted.append(where)

    def unmount(self, where: Path) -> None:
        self.unmounted.append(where)


class Audit:
    def __init__(self) -> None:
        self.entries: list[Any] = []

    def append(self, entry: Any) -> None:
        self.entries.append(entry)


def registry(
    tmp_path: Path,
    mounter: DirectoryMounter | None = None,
    audit: Audit | None = None,
    checker: Checker | None = None,
) -> StorageTargets:
    (tmp_path / "data").mkdir(exist_ok=True)  # the data partition is always there
    return StorageTargets(
        tmp_path / "data" / "recordings",
        tmp_path / "run" / "storage",
        mounter or DirectoryMounter(),
        tmp_path / "data" / "orpheus" / "storage.json",
        audit or Audit(),
        mounted=Path.is_dir,
        checker=checker,
    )


def make_recording(
    store: RecordingStore,
    recording_id: str,
    *,
    started: str = "2026-11-02T10:00:00+00:00",
    direction: str = "inbound",
    caller: str = "0612345678",
    called: str = "101",
    audio_bytes: int = 70_000,
) -> bytes:
    """A recording as the spool stores it (encrypted audio and its facts); its file's bytes."""
    store.ensure()
    sealed = io.BytesIO()
    encryptor = age.Encryptor(sealed, age.public_of(IDENTITY))
    encryptor.write(os.urandom(audio_bytes))
    encryptor.finish()
    store.partial_path(recording_id).write_bytes(sealed.getvalue())
    store.publish(
        recording_id,
        {
            "id": recording_id, "started": started, "direction": direction, "caller": caller,
            "called": called, "target": "internal", "duration_seconds": audio_bytes / 16000,
        },
    )  # fmt: skip
    return sealed.getvalue()


def days_ago(days: float, now: datetime.datetime) -> str:
    return (now - datetime.timedelta(days=days)).isoformat()
