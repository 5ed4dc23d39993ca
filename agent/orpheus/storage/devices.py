"""A udev block device's properties as a USB volume the agent may mount, or None.

Everything here comes from the drive itself (its filesystem's UUID and label) or from udev's
reading of it, so each value is checked by full match before it becomes part of a path, a
unit name or an answer: a UUID that is not one of the forms vfat, exFAT and ext4 write is
refused, not cleaned up. A filesystem the agent does not mount (NTFS, a CD image) is listed
as unsupported under its device's name when its UUID is of another form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

SUPPORTED_FILESYSTEMS = frozenset({"vfat", "exfat", "ext4"})
# vfat and exFAT: a 32-bit serial as XXXX-XXXX; ext4: an RFC 4122 UUID.
_WRITTEN = re.compile(r"[0-9A-Fa-f-]{9,36}")  # the same forms in either case (see _UUID)
_UUID = re.compile(r"[0-9a-f]{4}-[0-9a-f]{4}|[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}")
_DEVICE = re.compile(r"/dev/sd[a-z]{1,3}[0-9]{0,3}")
_FS_TYPE = re.compile(r"[a-z0-9_]{1,16}")
_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9 ._-]")
LABEL_LENGTH = 32


class HostileDevice(ValueError):
    """A USB device whose properties cannot be trusted to name a path; one line."""


@dataclass(frozen=True)
class UsbVolume:
    uuid: str  # lowercase, checked: safe in a path and a unit name ("" for some unsupported)
    fs_type: str
    device: str  # /dev/sdXN, for messages only: mounts go by UUID
    label: str  # shown only, never used as a name
    # The UUID as the drive writes it and udev names its /dev/disk/by-uuid link (vfat and
    # exFAT in capitals); checked like uuid. Empty: the same as uuid.
    written_uuid: str = ""

    @property
    def by_uuid(self) -> str:
        """The device's link, what the check opens and the mount unit binds to."""
        return f"/dev/disk/by-uuid/{self.written_uuid or self.uuid}"

    @property
    def name(self) -> str:
        return f"usb-{self.uuid or self.device.removeprefix('/dev/')}"

    @property
    def supported(self) -> bool:
        return self.fs_type in SUPPORTED_FILESYSTEMS


def checked_uuid(text: str) -> str:
    """The UUID in lowercase, or HostileDevice (no path or unit is ever made from it)."""
    uuid = text.lower()
    if _UUID.fullmatch(uuid) is None:
        raise HostileDevice(f"not a filesystem UUID: {text[:64]!r}")
    return uuid


def usb_volume(properties: Mapping[str, str]) -> UsbVolume | None:
    """The volume a udev event names: None when it is not a filesystem on a USB drive (a
    disk's partition table, a SATA disk, a CD); HostileDevice when its UUID, device name or
    filesystem type cannot be used."""
    if properties.get("SUBSYSTEM", "block") != "block" or properties.get("ID_BUS") != "usb":
        return None
    if properties.get("ID_FS_USAGE") != "filesystem":
        return None
    device = properties.get("DEVNAME", "")
    if _DEVICE.fullmatch(device) is None:
        raise HostileDevice(f"not a USB disk's device name: {device[:64]!r}")
    fs_type = properties.get("ID_FS_TYPE", "")
    if _FS_TYPE.fullmatch(fs_type) is None:
        raise HostileDevice(f"{device}: not a filesystem type: {fs_type[:64]!r}")
    raw_uuid = properties.get("ID_FS_UUID", "")
    if fs_type not in SUPPORTED_FILESYSTEMS and _UUID.fullmatch(raw_uuid.lower()) is None:
        return UsbVolume("", fs_type, device, shown_label(properties.get("ID_FS_LABEL", "")))
    uuid = checked_uuid(raw_uuid)
    written = raw_uuid if _WRITTEN.fullmatch(raw_uuid) else ""
    label = shown_label(properties.get("ID_FS_LABEL", ""))
    return UsbVolume(uuid, fs_type, device, label, written)


def shown_label(text: str) -> str:
    """A label safe to show anywhere (a terminal, JSON, SNMP): letters, digits, ' ._-'."""
    return _LABEL_UNSAFE.sub("_", text)[:LABEL_LENGTH]
