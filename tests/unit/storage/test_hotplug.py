"""udev events (recorded property dicts: no USB hardware or netlink here) reach the registry,
and no event, however bad, stops the monitor; an interrupted transfer resumes at start."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from orpheus.jobs.model import Job
from orpheus.recordings.selection import Selection
from orpheus.storage.hotplug import dispatch
from orpheus.storage.registry import StorageTargets
from tests.unit.storage.parts import SANDISK_VFAT, DirectoryMounter, make_recording, registry
from tests.unit.storage.test_feature import USB, Unit


def test_add_and_remove_events_plug_and_pull(tmp_path: Path) -> None:
    targets = registry(tmp_path)
    handle = dispatch(targets)
    handle("add", SANDISK_VFAT)
    assert [t.name for t in targets.targets()] == ["internal", USB]
    handle("bind", SANDISK_VFAT)  # other actions change nothing
    handle("remove", SANDISK_VFAT)
    assert [t.name for t in targets.targets()] == ["internal"]


def test_an_event_that_fails_is_logged_and_the_next_one_handled(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(StorageTargets):
        def device_added(self, properties: object) -> None:  # type: ignore[override]
            raise RuntimeError("udev gave something odd")

    broken = Broken(tmp_path / "r", tmp_path / "m", DirectoryMounter(), tmp_path / "s.json")
    dispatch(broken)("add", SANDISK_VFAT)  # does not raise
    assert "USB add event for /dev/sdb1 failed" in caplog.text


def test_the_agent_start_resumes_an_interrupted_move(tmp_path: Path) -> None:
    unit = Unit(tmp_path)
    made = make_recording(unit.internal, "1764650000.1")
    work = unit.transfers.transfers
    plan = work.plan("move", "internal", USB, Selection())
    work.journal.write(plan)  # what a power cut before the first copy leaves
    unit.transfers.start()
    (job,) = unit.jobs.jobs()
    assert isinstance(job, Job) and job.source == f"internal -> {USB}"
    for _ in range(500):
        if not job.running:
            break
        time.sleep(0.01)
    assert job.state == "succeeded", job.message
    usb = unit.targets.get(USB).store
    assert usb.audio_path("1764650000.1").read_bytes() == made
    assert not work.journal.path.exists()
