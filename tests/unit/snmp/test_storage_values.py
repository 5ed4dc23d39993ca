"""The SNMP storage area from the storage registry's targets (the stick a directory: no USB
hardware here): rows as /api/v1/storage lists them, indexes kept across a replug, and the
plug, pull and state-change notifications between two refreshes."""

from __future__ import annotations

from pathlib import Path

from orpheus.recordings.store import RecordingStore
from orpheus.snmp.agentx import ValueType
from orpheus.snmp.mib import OBJECTS
from orpheus.snmp.notifications import Thresholds, due
from orpheus.snmp.storage_values import STATES, StorageValues
from orpheus.snmp.view import MibView
from tests.unit.storage.parts import EXT4_DISK, NTFS_DISK, SANDISK_VFAT, make_recording, registry

USB = "usb-5e1c-8a2f"
ENTRY = (*OBJECTS, 6, 1, 1)  # orpheusStorageEntry


def _rows(values: StorageValues) -> dict[str, dict[str, object]]:
    return {row["name"]: row for row in values()["targets"]}


def test_rows_are_the_registrys_targets_with_their_figures(tmp_path: Path) -> None:
    targets = registry(tmp_path)
    values = StorageValues(targets)
    make_recording(RecordingStore(tmp_path / "data/recordings"), "1764650000.1")
    targets.device_added(SANDISK_VFAT)
    targets.device_added(NTFS_DISK)
    rows = _rows(values)
    assert list(rows) == ["internal", USB, "usb-sdd1"]
    internal, stick, ntfs = rows["internal"], rows[USB], rows["usb-sdd1"]
    assert (internal["index"], internal["mounted"], internal["recordings"]) == (1, True, 1)
    assert internal["state"] in (STATES["mounted"], STATES["full"])
    assert (
        internal["recording_bytes"] > 70_000 and internal["total_bytes"] >= internal["free_bytes"]
    )
    assert (stick["index"], stick["label"], stick["recordings"]) == (2, "ARCHIVE", 0)
    assert (ntfs["index"], ntfs["state"], ntfs["mounted"]) == (3, STATES["unsupported"], False)
    assert "total_bytes" not in ntfs and "recordings" not in ntfs  # no figures: no instance


def test_a_drive_keeps_its_index_when_plugged_in_again(tmp_path: Path) -> None:
    targets = registry(tmp_path)
    values = StorageValues(targets)
    targets.device_added(EXT4_DISK)
    values()  # a refresh: the first drive seen is 2
    targets.device_added(SANDISK_VFAT)
    assert {n: r["index"] for n, r in _rows(values).items()} == {
        "internal": 1, USB: 3, "usb-3f2504e0-4f89-41d3-9a0c-0305e82c3301": 2,
    }  # fmt: skip
    targets.device_removed(SANDISK_VFAT)
    assert USB not in _rows(values)
    targets.device_added(SANDISK_VFAT)
    assert _rows(values)[USB]["index"] == 3


def test_the_view_serves_the_rows_columns(tmp_path: Path) -> None:
    targets = registry(tmp_path)
    targets.device_added(SANDISK_VFAT)
    view = MibView.from_values({"storage": StorageValues(targets)()})
    assert view.get((*ENTRY, 2, 2)).value == USB.encode()
    assert view.get((*ENTRY, 7, 2)).value == STATES["mounted"]
    assert view.get((*ENTRY, 7, 2)).type == ValueType.INTEGER
    assert view.get((*ENTRY, 9, 2)).value == b"ARCHIVE"
    assert view.get((*ENTRY, 8, 1)).type == ValueType.COUNTER64


def test_plug_pull_and_state_changes_are_notified(tmp_path: Path) -> None:
    targets = registry(tmp_path)
    values = StorageValues(targets)
    limits = Thresholds()
    alone = {"storage": values()}
    assert due({}, alone, limits) == []  # the first refresh: what was there at the start
    target = targets.device_added(SANDISK_VFAT)
    assert target is not None
    plugged = {"storage": values()}
    (added,) = due(alone, plugged, limits)
    assert added.name == "orpheusStorageTargetAdded"
    assert [(v.oid, v.value) for v in added.varbinds] == [
        ((*ENTRY, 2, 2), USB.encode()), ((*ENTRY, 7, 2), STATES["mounted"]),
    ]  # fmt: skip
    assert due(plugged, {"storage": values()}, limits) == []
    target.root.rmdir()  # pulled without an eject, before udev's remove: unreachable
    gone = {"storage": values()}
    (changed,) = due(plugged, gone, limits)
    assert changed.name == "orpheusStorageStateChanged"
    assert changed.varbinds[1].value == STATES["unreachable"]
    targets.device_removed(SANDISK_VFAT)
    (removed,) = due(gone, {"storage": values()}, limits)
    assert removed.name == "orpheusStorageTargetRemoved"
    assert [(v.oid, v.value) for v in removed.varbinds] == [((*ENTRY, 2, 2), USB.encode())]
