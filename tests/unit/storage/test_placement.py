"""The placement of finished recordings (storage/placement.py) on temporary directories: a
directory stands for the USB drive (no USB hardware here: the DirectoryMounter of parts.py
makes the mount point, as the other storage tests do). Placed after the finish; a missing
target keeps them pending on internal with an alarm, and they move once it is back; a drive
full mid-move leaves the source intact; the quota's alarm; pending ones moved after a
restart; never two moves of one recording."""

from __future__ import annotations

import errno
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from orpheus.recordings.feature import RecordingsFeature
from orpheus.recordings.store import RecordingStore
from orpheus.storage.placement import PENDING_FILE, Placement
from orpheus.storage.registry import StorageTargets
from orpheus.storage.transfer import Copier
from tests.unit.storage.parts import SANDISK_VFAT, Audit, make_recording, registry

USB = "usb-5e1c-8a2f"


class Parts:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.audit = Audit()
        self.targets: StorageTargets = registry(tmp_path, audit=self.audit)
        self.internal = RecordingStore(tmp_path / "data/recordings")
        self.settings: dict[str, Any] = {"enabled": True, "storage": "usb"}
        self.targets.device_added(SANDISK_VFAT)
        self.targets.set_default(USB, "admin")
        self.usb = self.targets.get(USB).store
        self.placement = self.new_placement()

    def new_placement(self) -> Placement:
        return Placement(
            self.targets,
            lambda: self.settings,
            self.tmp_path / "data/orpheus" / PENDING_FILE,
            self.audit,
            retry_seconds=0.05,
        )

    def finish(self, recording_id: str, started: str = "2026-11-02T10:00:00+00:00") -> bytes:
        data = make_recording(self.internal, recording_id, started=started)
        self.placement.finished(recording_id)
        return data

    def unplug(self) -> None:
        self.targets.device_removed(SANDISK_VFAT)

    def placed(self) -> list[Any]:
        return [e for e in self.audit.entries if e.change == "recording.placed"]


@pytest.fixture
def parts(tmp_path: Path) -> Parts:
    return Parts(tmp_path)


def test_a_finished_recording_is_moved_to_the_target_verified_and_audited(parts: Parts) -> None:
    data = parts.finish("1764650000.1")
    assert parts.placement.pending() == ["1764650000.1"]
    assert parts.placement.place_pending() == 1
    assert parts.usb.audio_path("1764650000.1").read_bytes() == data
    assert parts.usb.get("1764650000.1")["target"] == USB
    assert not parts.internal.audio_path("1764650000.1").exists()
    assert parts.placement.pending() == [] and parts.placement.alarms() == []
    (entry,) = parts.placed()
    assert entry.object == "recording 1764650000.1"
    assert entry.after["target"] == USB and entry.after["bytes"] == len(data)


def test_internal_settings_keep_recordings_on_internal(parts: Parts) -> None:
    parts.settings["storage"] = "internal"
    parts.finish("1764650000.1")
    assert parts.placement.pending() == []
    assert parts.internal.audio_path("1764650000.1").exists()


def test_missing_target_keeps_them_pending_with_an_alarm_then_moves_them(parts: Parts) -> None:
    parts.unplug()
    parts.finish("1764650000.1")
    parts.finish("1764650000.2")
    assert parts.placement.place_pending() == 0
    assert parts.internal.audio_path("1764650000.1").exists()
    summary = parts.placement.summary()
    assert summary["pending"] == 2 and summary["pending_bytes"] > 0
    assert summary["destination"] == USB and "not plugged in" in summary["waiting"]
    (alarm,) = parts.placement.alarms()
    assert "2 recording(s)" in alarm and "not plugged in" in alarm

    parts.targets.device_added(SANDISK_VFAT)  # back
    assert parts.placement.place_pending() == 2
    assert [i for i, _ in parts.usb.entries()] == ["1764650000.1", "1764650000.2"]
    assert parts.placement.alarms() == [] and parts.placement.summary()["pending"] == 0


def test_no_usb_default_or_a_nas_keeps_them_pending(parts: Parts) -> None:
    parts.settings["storage"] = "nas"
    parts.finish("1764650000.1")
    parts.placement.place_pending()
    assert "NAS" in parts.placement.alarms()[0]


def test_a_drive_full_mid_move_leaves_the_source_intact_and_pending(
    parts: Parts, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = parts.finish("1764650000.1")

    def full(self: Copier, writer: int, block: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Copier, "write_block", full)
    assert parts.placement.place_pending() == 0
    assert parts.internal.audio_path("1764650000.1").read_bytes() == data
    assert parts.internal.get("1764650000.1")["id"] == "1764650000.1"
    assert list(parts.usb.directory.iterdir()) == []  # no partial copy left
    assert parts.placement.pending() == ["1764650000.1"]
    assert f"{USB} is full" in parts.placement.alarms()[0]

    monkeypatch.undo()
    assert parts.placement.place_pending() == 1
    assert parts.usb.audio_path("1764650000.1").read_bytes() == data


def test_past_the_quota_an_alarm_says_recording_goes_on_and_nothing_is_deleted(
    parts: Parts,
) -> None:
    parts.unplug()
    parts.placement.quota_bytes = 100_000  # (the setting's floor is 64 MiB)
    parts.finish("1764650000.1")
    parts.placement.place_pending()
    assert len(parts.placement.alarms()) == 1
    parts.finish("1764650000.2")
    alarms = parts.placement.alarms()
    assert len(alarms) == 2 and "pass their quota" in alarms[1]
    assert "none is deleted" in alarms[1]
    assert parts.internal.audio_path("1764650000.1").exists()


def test_pending_ones_are_moved_after_an_agent_restart(parts: Parts) -> None:
    parts.unplug()
    parts.finish("1764650000.1")
    parts.placement.place_pending()
    parts.targets.device_added(SANDISK_VFAT)  # plugged in while the agent is down
    restarted = parts.new_placement()
    assert restarted.pending() == ["1764650000.1"]
    restarted.start()
    try:
        deadline = time.monotonic() + 5
        while restarted.pending() and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        restarted.stop()
    assert restarted.pending() == []
    assert parts.usb.audio_path("1764650000.1").exists()


def test_a_recording_is_never_moved_twice(parts: Parts, monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(1, 4):
        parts.finish(f"1764650000.{n}", started=f"2026-11-02T10:0{n}:00+00:00")
    copies: list[str] = []
    original = Copier.copy

    def slow_copy(self: Copier, recording_id: str) -> Any:
        copies.append(recording_id)
        time.sleep(0.05)
        return original(self, recording_id)

    monkeypatch.setattr(Copier, "copy", slow_copy)
    workers = [threading.Thread(target=parts.placement.place_pending) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert copies == ["1764650000.1", "1764650000.2", "1764650000.3"]  # oldest first, once
    assert len(parts.placed()) == 3


def test_a_recording_a_transfer_job_takes_is_left_to_it(parts: Parts) -> None:
    parts.finish("1764650000.1")
    parts.finish("1764650000.2")
    parts.placement.claimed = lambda target: frozenset({"1764650000.1"})
    assert parts.placement.place_pending() == 1
    assert parts.internal.audio_path("1764650000.1").exists()
    assert parts.placement.pending() == ["1764650000.1"]


def test_the_list_shows_a_recording_being_moved_and_the_moved_ones(parts: Parts) -> None:
    parts.finish("1764650000.1")
    make_recording(parts.internal, "1764650000.2", started="2026-11-02T11:00:00+00:00")
    parts.placement.place_pending()
    feature = RecordingsFeature(parts.internal, None, None, parts.audit)  # type: ignore[arg-type]
    feature.located, feature.elsewhere = parts.placement.where, parts.placement.other_stores
    parts.placement.moving = ("1764650000.2", USB)
    listed = feature.list()["recordings"]
    assert isinstance(listed, list)
    assert [(f["id"], f["target"], f.get("moving_to")) for f in listed] == [
        ("1764650000.1", USB, None),
        ("1764650000.2", "internal", USB),
    ]
    assert feature.show("1764650000.1")["target"] == USB
    assert {"id", "started", "direction", "caller", "called", "duration_seconds"} <= set(listed[0])


def test_a_drive_being_moved_to_is_busy_for_eject(parts: Parts) -> None:
    assert parts.placement.using(USB) is None
    parts.placement.moving = ("1764650000.1", USB)
    assert "1764650000.1" in str(parts.placement.using(USB))
    assert parts.placement.using("internal") is None
