"""The targets as plugs and pulls change them (udev events replayed from recorded property
dicts; the mount is a directory: no USB hardware or systemd here), what each reports, the
default target and eject."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orpheus.recordings.store import RecordingStore
from orpheus.storage.registry import NoSuchTarget, TargetRefused
from tests.unit.storage.parts import (
    NTFS_DISK,
    SANDISK_VFAT,
    Audit,
    DirectoryMounter,
    make_recording,
    registry,
)

USB = "usb-5e1c-8a2f"


def by_name(listing: dict[str, object]) -> dict[str, dict[str, object]]:
    return {t["name"]: t for t in listing["targets"]}  # type: ignore[attr-defined, index]


def test_internal_is_always_there_with_its_recordings(tmp_path: Path) -> None:
    targets = registry(tmp_path)
    make_recording(RecordingStore(tmp_path / "data/recordings"), "1764650000.1")
    (internal,) = targets.listing()["targets"]
    assert internal["name"] == "internal" and internal["state"] in ("mounted", "full")
    assert internal["recordings"] == 1 and internal["recording_bytes"] > 70_000
    assert internal["size_bytes"] >= internal["free_bytes"] > 0
    assert internal["default"] is True


def test_a_plugged_stick_is_mounted_listed_and_gone_when_pulled(tmp_path: Path) -> None:
    mounter, audit = DirectoryMounter(), Audit()
    targets = registry(tmp_path, mounter, audit)
    target = targets.device_added(SANDISK_VFAT)
    assert target is not None and mounter.mounted == [tmp_path / "run/storage" / USB]
    assert targets.device_added(SANDISK_VFAT) is target  # a second add changes nothing
    usb = by_name(targets.listing())[USB]
    assert (usb["kind"], usb["fs_type"], usb["label"], usb["recordings"]) == (
        "usb", "vfat", "ARCHIVE", 0,
    )  # fmt: skip
    targets.device_removed(SANDISK_VFAT)
    assert list(by_name(targets.listing())) == ["internal"]
    assert mounter.unmounted == [tmp_path / "run/storage" / USB]
    assert [e.change for e in audit.entries] == ["storage.plugged", "storage.unplugged"]


def test_a_pulled_drive_whose_directory_stays_is_unreachable(tmp_path: Path) -> None:
    targets = registry(tmp_path)
    target = targets.device_added(SANDISK_VFAT)
    assert target is not None
    target.root.rmdir()  # as an unmounted mount point would read: nothing there
    assert by_name(targets.listing())[USB]["state"] == "unreachable"


def test_unsupported_and_unmountable_drives_stay_listed_with_why(tmp_path: Path) -> None:
    targets = registry(tmp_path, DirectoryMounter(failure="cannot mount usb-5e1c-8a2f: dirty"))
    targets.device_added(SANDISK_VFAT)
    targets.device_added(NTFS_DISK)
    listed = by_name(targets.listing())
    assert (listed[USB]["state"], listed[USB]["message"]) == (
        "unreachable", "cannot mount usb-5e1c-8a2f: dirty",
    )  # fmt: skip
    assert (listed["usb-sdd1"]["state"], listed["usb-sdd1"]["size_bytes"]) == ("unsupported", None)


def test_the_default_target_is_kept_and_must_be_usable(tmp_path: Path) -> None:
    audit = Audit()
    targets = registry(tmp_path, audit=audit)
    targets.device_added(SANDISK_VFAT)
    assert targets.set_default(USB, "admin") == USB
    assert json.loads((tmp_path / "data/orpheus/storage.json").read_text()) == {"default": USB}
    assert registry(tmp_path).default() == USB  # read again by the next agent
    assert audit.entries[-1].change == "storage.default"
    targets.device_added(NTFS_DISK)
    with pytest.raises(TargetRefused, match="usb-sdd1 cannot take recordings"):
        targets.set_default("usb-sdd1", "admin")
    with pytest.raises(NoSuchTarget):
        targets.set_default("usb-0000-0000", "admin")


def test_a_damaged_settings_file_means_internal(tmp_path: Path) -> None:
    targets = registry(tmp_path)
    settings = tmp_path / "data/orpheus/storage.json"
    settings.parent.mkdir(parents=True)
    for text in ("{", '["usb-x"]', '{"default": "../../etc"}', '{"default": 7}'):
        settings.write_text(text)
        assert targets.default() == "internal"


@pytest.mark.parametrize(
    "name",
    ["../internal", "usb-5e1c-8a2f/../../x", "USB-5E1C", "internal\n", "", "usb-" + "a" * 60],
)
def test_hostile_target_names_are_no_target(tmp_path: Path, name: str) -> None:
    with pytest.raises(NoSuchTarget):
        registry(tmp_path).get(name)


def test_eject_unmounts_and_is_refused_while_in_use(tmp_path: Path) -> None:
    mounter = DirectoryMounter()
    targets = registry(tmp_path, mounter)
    targets.device_added(SANDISK_VFAT)
    with pytest.raises(TargetRefused, match="in use: job 4"):
        targets.eject(USB, "admin", lambda name: "job 4 (move)" if name == USB else None)
    with pytest.raises(TargetRefused, match="cannot be ejected"):
        targets.eject("internal", "admin", lambda name: None)
    assert targets.eject(USB, "admin", lambda name: None) == USB
    assert mounter.unmounted == [tmp_path / "run/storage" / USB]
    assert list(by_name(targets.listing())) == ["internal"]
