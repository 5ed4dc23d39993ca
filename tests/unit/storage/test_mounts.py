"""The mount unit asked of systemd (FakeSystemd records it: no systemd here; the message
itself is checked against a stand-in on a private bus in tests/dbus): its name, the
mount options, and a device named by UUID."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from orpheus.dbus.fakes import FakeSystemd
from orpheus.storage.devices import usb_volume
from orpheus.storage.mounts import MountError, SystemdMounts, unit_name
from tests.unit.storage.parts import EXT4_DISK, NTFS_DISK, SANDISK_VFAT


@pytest.mark.parametrize(
    "path",
    ["/run/orpheus/storage/usb-5e1c-8a2f", "/run/a b/.hidden/ü", "/.x/y", "/srv/x:y_z.w", "/"],
)
def test_unit_names_are_what_systemd_escape_makes(path: str) -> None:
    tool = shutil.which("systemd-escape")
    if tool is None:
        pytest.skip("systemd-escape is not installed")
    expected = subprocess.run(
        [tool, "--path", "--suffix=mount", path], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert unit_name(Path(path)) == expected


def test_a_usb_volume_mounts_by_uuid_without_devices_setuid_or_executables() -> None:
    systemd = FakeSystemd()
    volume = usb_volume(SANDISK_VFAT)
    assert volume is not None
    where = Path("/run/orpheus/storage/usb-5e1c-8a2f")
    SystemdMounts(systemd).mount(volume, where)
    unit = "run-orpheus-storage-usb\\x2d5e1c\\x2d8a2f.mount"
    assert systemd.calls == [("start-transient", unit)]
    properties = {name: value for name, _kind, value in systemd.transient[unit]}
    # udev's link spells the UUID as the drive writes it (vfat: capitals); the name is lowercase
    assert properties["What"] == "/dev/disk/by-uuid/5E1C-8A2F"
    assert properties["Where"] == str(where) and properties["Type"] == "vfat"
    options = properties["Options"].split(",")
    assert {"nodev", "nosuid", "noexec", "noatime", "rw", "fmask=0177"} <= set(options)
    assert properties["LazyUnmount"] is True
    SystemdMounts(systemd).unmount(where)
    assert systemd.calls[-1] == ("stop", unit)


def test_ext4_is_mounted_read_only_when_asked() -> None:
    systemd = FakeSystemd()
    volume = usb_volume(EXT4_DISK)
    assert volume is not None
    SystemdMounts(systemd).mount(volume, Path("/m/x"), read_only=True)
    (properties,) = systemd.transient.values()
    options = dict((n, v) for n, _k, v in properties)["Options"].split(",")
    assert "ro" in options and "rw" not in options and "fmask=0177" not in options


def test_an_unsupported_volume_is_never_asked_of_systemd() -> None:
    systemd = FakeSystemd()
    volume = usb_volume(NTFS_DISK)
    assert volume is not None
    with pytest.raises(MountError, match="ntfs is not mounted"):
        SystemdMounts(systemd).mount(volume, Path("/m/usb-sdd1"))
    assert systemd.calls == []


def test_systemd_refusing_is_one_line_naming_the_drive() -> None:
    volume = usb_volume(SANDISK_VFAT)
    assert volume is not None
    with pytest.raises(MountError) as raised:
        SystemdMounts(FakeSystemd(unavailable="no system bus")).mount(volume, Path("/m/u"))
    assert str(raised.value) == (
        "cannot mount usb-5e1c-8a2f (/dev/sdb1): cannot start-transient m-u.mount: no system bus"
    )
