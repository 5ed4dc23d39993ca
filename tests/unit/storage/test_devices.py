"""udev properties to USB volumes: recorded property dicts of real drives (no USB hardware
here), and hostile ones (a drive names its own UUID and label) refused before any path."""

from __future__ import annotations

from pathlib import Path

import pytest

from orpheus.storage.devices import HostileDevice, checked_uuid, shown_label, usb_volume
from tests.unit.storage.parts import (
    EXT4_DISK,
    NTFS_DISK,
    SANDISK_VFAT,
    SATA_DISK,
    WHOLE_DISK,
    Audit,
    DirectoryMounter,
    registry,
)


def test_a_vfat_stick_is_named_by_its_uuid() -> None:
    volume = usb_volume(SANDISK_VFAT)
    assert volume is not None
    assert (volume.name, volume.fs_type, volume.device, volume.label) == (
        "usb-5e1c-8a2f", "vfat", "/dev/sdb1", "ARCHIVE",
    )  # fmt: skip
    assert volume.supported
    assert volume.by_uuid == "/dev/disk/by-uuid/5E1C-8A2F"  # udev's link, as the drive writes it


def test_an_ext4_uuid_is_lowercased() -> None:
    volume = usb_volume(EXT4_DISK)
    assert volume is not None and volume.name == "usb-3f2504e0-4f89-41d3-9a0c-0305e82c3301"


def test_ntfs_is_listed_unsupported() -> None:
    volume = usb_volume(NTFS_DISK)
    assert volume is not None and not volume.supported
    assert volume.name == "usb-sdd1"  # its UUID is of no form the agent mounts


def test_what_is_not_a_usb_filesystem_is_ignored() -> None:
    assert usb_volume(WHOLE_DISK) is None
    assert usb_volume(SATA_DISK) is None
    assert usb_volume({}) is None
    assert usb_volume({**SANDISK_VFAT, "SUBSYSTEM": "usb"}) is None


@pytest.mark.parametrize(
    "uuid",
    [
        "../../etc", "5E1C-8A2F/../../x", "5E1C-8A2F\n", "5E1C-8A2F ", "5e1c_8a2f", "",
        "5E1C-8A2F-", "\u0665E1C-8A2F", "x" * 5000, "5E1C-8A2F\x00", ".5E1C-8A2F",
        "3f2504e0-4f89-41d3-9a0c-0305e82c3301/..",
    ],
)  # fmt: skip
def test_a_uuid_of_no_known_form_is_refused(uuid: str) -> None:
    with pytest.raises(HostileDevice):
        checked_uuid(uuid)
    with pytest.raises(HostileDevice):
        usb_volume({**SANDISK_VFAT, "ID_FS_UUID": uuid})


@pytest.mark.parametrize(
    "key, value",
    [
        ("DEVNAME", "/dev/../etc/passwd"), ("DEVNAME", "/dev/sdb1\n"), ("DEVNAME", ""),
        ("DEVNAME", "/dev/mmcblk0p1"), ("ID_FS_TYPE", "vfat,uid=1000"), ("ID_FS_TYPE", ""),
        ("ID_FS_TYPE", "ext4 -o remount"),
    ],
)  # fmt: skip
def test_hostile_device_names_and_types_are_refused(key: str, value: str) -> None:
    with pytest.raises(HostileDevice):
        usb_volume({**SANDISK_VFAT, key: value})


def test_a_label_is_shown_without_control_characters() -> None:
    assert shown_label("\x1b[2J\x1b]0;owned\x07 ARCH/../IVE") == "__2J__0_owned_ ARCH_.._IVE"
    assert len(shown_label("L" * 300)) == 32
    volume = usb_volume({**SANDISK_VFAT, "ID_FS_LABEL": "a\nb"})
    assert volume is not None and volume.label == "a_b"


def test_a_hostile_drive_is_audited_and_nothing_is_mounted(tmp_path: Path) -> None:
    mounter, audit = DirectoryMounter(), Audit()
    targets = registry(tmp_path, mounter, audit)
    assert targets.device_added({**SANDISK_VFAT, "ID_FS_UUID": "../../../data"}) is None
    assert mounter.mounted == []
    assert [t.name for t in targets.targets()] == ["internal"]
    assert not (tmp_path / "run").exists()
    (entry,) = audit.entries
    assert entry.change == "storage.refused" and "not a filesystem UUID" in entry.after["reason"]
