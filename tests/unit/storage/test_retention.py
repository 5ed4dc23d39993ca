"""Retention on temporary directories (the stick a directory: no USB hardware here): the age
and size limits, oldest first, each deletion audited; a hostile drive's links neither
deleted nor deleted through; the recordings a running transfer takes kept."""

from __future__ import annotations

import datetime
import json
import os
import threading
import time
from pathlib import Path

import pytest

from orpheus.jobs.model import Job
from orpheus.jobs.registry import JobRegistry
from orpheus.recordings.selection import Selection
from orpheus.recordings.store import RecordingStore
from orpheus.storage.journal import Journal
from orpheus.storage.registry import NoSuchTarget, StorageTargets
from orpheus.storage.retention import Held, Sweeper, due
from orpheus.storage.retention_limits import Limits
from orpheus.storage.transfer_feature import TransferFeature
from orpheus.storage.transfer_job import Transfers
from tests.unit.storage.parts import SANDISK_VFAT, Audit, days_ago, make_recording, registry

USB = "usb-5e1c-8a2f"
NOW = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.UTC)
MB = 1_000_000


class Parts:
    def __init__(self, tmp_path: Path) -> None:
        self.audit = Audit()
        self.targets: StorageTargets = registry(tmp_path, audit=self.audit)
        self.sweeper = Sweeper(self.targets, self.audit, now=lambda: NOW)
        self.internal = RecordingStore(tmp_path / "data/recordings")

    def record(self, recording_id: str, days: float, size: int = 70_000) -> None:
        make_recording(self.internal, recording_id, started=days_ago(days, NOW), audio_bytes=size)

    def ids(self, store: RecordingStore | None = None) -> list[str]:
        return [i for i, _ in (store or self.internal).entries()]

    def retention_entries(self) -> list[dict[str, object]]:
        return [
            {"object": e.object, "user": e.user, "before": e.before, "after": e.after}
            for e in self.audit.entries
            if e.change == "recording.retention"
        ]


@pytest.fixture
def parts(tmp_path: Path) -> Parts:
    return Parts(tmp_path)


def test_no_limit_deletes_nothing_and_reads_nothing(parts: Parts) -> None:
    parts.record("1764650000.1", days=4000)
    assert parts.targets.retention("internal") == Limits()
    assert parts.sweeper.sweep() == []
    assert parts.ids() == ["1764650000.1"]


def test_the_age_limit_deletes_what_is_older_oldest_first(parts: Parts) -> None:
    parts.record("1764650000.3", days=40)
    parts.record("1764650000.1", days=5)
    parts.record("1764650000.2", days=100)
    parts.targets.set_retention("internal", Limits(max_age_days=30), "admin")
    deleted = parts.sweeper.sweep()
    assert [d.recording_id for d in deleted] == ["1764650000.2", "1764650000.3"]
    assert parts.ids() == ["1764650000.1"]
    assert sorted(p.name for p in parts.internal.directory.iterdir()) == [
        "1764650000.1.age", "1764650000.1.json",
    ]  # fmt: skip
    assert parts.sweeper.sweep() == []  # within its limits now: nothing more


def test_the_size_limit_deletes_the_oldest_until_the_bytes_fit(parts: Parts) -> None:
    for number, days in ((1, 3), (2, 9), (3, 1), (4, 6)):
        parts.record(f"1764650000.{number}", days=days, size=400_000)
    parts.targets.set_retention("internal", Limits(max_bytes=MB), "admin")
    deleted = parts.sweeper.sweep()
    assert [d.recording_id for d in deleted] == ["1764650000.2", "1764650000.4"]
    assert sorted(parts.ids()) == ["1764650000.1", "1764650000.3"]
    listed = parts.targets.listing()["targets"][0]
    assert listed["recording_bytes"] <= MB
    assert listed["retention"] == {"max_age_days": None, "max_bytes": MB}


def test_both_limits_hold_after_one_sweep(parts: Parts) -> None:
    parts.record("1764650000.1", days=60, size=400_000)  # too old
    parts.record("1764650000.2", days=20, size=400_000)  # the oldest left: too many bytes
    parts.record("1764650000.3", days=10, size=400_000)
    parts.record("1764650000.4", days=2, size=400_000)
    parts.targets.set_retention("internal", Limits(30, MB), "admin")
    deleted = parts.sweeper.sweep()
    assert [d.recording_id for d in deleted] == ["1764650000.1", "1764650000.2"]
    assert deleted[0].reason == "older than 30 day(s)"
    assert deleted[1].reason.endswith("bytes of recordings, over the 1000000 limit")
    assert parts.ids() == ["1764650000.3", "1764650000.4"]


def test_each_deletion_is_audited_with_its_id_and_why(parts: Parts) -> None:
    parts.record("1764650000.1", days=100)
    parts.targets.set_retention("internal", Limits(max_age_days=90), "admin")
    (deleted,) = parts.sweeper.sweep()
    (entry,) = parts.retention_entries()
    assert entry == {
        "object": "recording 1764650000.1",
        "user": "agent",
        "before": {"target": "internal", "started": deleted.started, "bytes": deleted.size},
        "after": {
            "reason": "older than 90 day(s)",
            "retention": {"max_age_days": 90, "max_bytes": None},
        },
    }
    changes = [e.change for e in parts.audit.entries]
    assert changes == ["storage.retention", "recording.retention"]


def test_a_recording_without_a_readable_date_goes_by_its_files_age(parts: Parts) -> None:
    parts.record("1764650000.1", days=1)
    facts = parts.internal.facts_path("1764650000.1")
    facts.write_text(json.dumps({"id": "1764650000.1", "started": "yesterday"}))
    audio = parts.internal.audio_path("1764650000.1")
    old = (NOW - datetime.timedelta(days=400)).timestamp()
    os.utime(audio, (old, old))  # read only: the sweep changes no file it keeps
    parts.record("1764650000.2", days=1)
    parts.targets.set_retention("internal", Limits(max_age_days=365), "admin")
    assert [d.recording_id for d in parts.sweeper.sweep()] == ["1764650000.1"]


def test_partial_files_and_other_names_are_not_recordings(parts: Parts) -> None:
    parts.record("1764650000.1", days=100)
    folder = parts.internal.directory
    for name in ("1764650000.2.age.part", "1764650000.3.age.copy", "notes.age", "x.txt"):
        (folder / name).write_bytes(b"x" * 10)
    parts.targets.set_retention("internal", Limits(max_age_days=1), "admin")
    assert [d.recording_id for d in parts.sweeper.sweep()] == ["1764650000.1"]
    assert sorted(p.name for p in folder.iterdir()) == [
        "1764650000.2.age.part", "1764650000.3.age.copy", "notes.age", "x.txt",
    ]  # fmt: skip


# --- a hostile drive -----------------------------------------------------------------------


def test_a_link_named_like_a_recording_is_left_and_what_it_names_kept(
    parts: Parts, tmp_path: Path
) -> None:
    target = parts.targets.device_added(SANDISK_VFAT)
    assert target is not None
    usb = RecordingStore(target.recordings_dir)
    usb.ensure()
    secret = tmp_path / "elsewhere/secret"
    secret.parent.mkdir()
    secret.write_bytes(b"not the drive's" * 1000)
    (usb.directory / "1764650000.7.age").symlink_to(secret)
    facts = {"id": "1764650000.7", "started": "2001-01-01T00:00:00+00:00"}
    (usb.directory / "1764650000.7.json").write_text(json.dumps(facts))
    (usb.directory / "1764650000.8.age").mkdir()  # a directory so named: left too
    make_recording(usb, "1764650000.9", started=days_ago(500, NOW))
    parts.targets.set_retention(USB, Limits(max_age_days=30, max_bytes=MB), "admin")
    assert [d.recording_id for d in parts.sweeper.sweep()] == ["1764650000.9"]
    assert secret.exists() and (usb.directory / "1764650000.7.age").is_symlink()
    assert (usb.directory / "1764650000.7.json").exists()  # its recording was not deleted
    assert (usb.directory / "1764650000.8.age").is_dir()


def test_a_recordings_folder_that_is_a_link_is_not_followed(parts: Parts) -> None:
    parts.record("1764650000.1", days=100)  # on internal: what the link points to
    target = parts.targets.device_added(SANDISK_VFAT)
    assert target is not None
    target.recordings_dir.symlink_to(parts.internal.directory)
    parts.targets.set_retention(USB, Limits(max_age_days=1), "admin")
    assert parts.sweeper.sweep() == []
    assert parts.ids() == ["1764650000.1"]


def test_a_facts_link_is_not_read_through(parts: Parts, tmp_path: Path) -> None:
    """The date comes from the facts only when they are a file: a link to an old-looking
    file elsewhere does not age the recording (its audio's date counts)."""
    parts.record("1764650000.1", days=1)
    planted = tmp_path / "planted.json"
    planted.write_text(json.dumps({"started": "2001-01-01T00:00:00+00:00"}))
    facts = parts.internal.facts_path("1764650000.1")
    facts.unlink()
    facts.symlink_to(planted)
    parts.targets.set_retention("internal", Limits(max_age_days=30), "admin")
    assert parts.sweeper.sweep() == []
    assert planted.exists()


def test_unreachable_and_read_only_targets_are_left_alone(parts: Parts) -> None:
    target = parts.targets.device_added(SANDISK_VFAT)
    assert target is not None
    make_recording(RecordingStore(target.recordings_dir), "1764650000.1", started=days_ago(99, NOW))
    parts.targets.set_retention(USB, Limits(max_age_days=1), "admin")
    target.mounted = lambda root: False
    assert parts.sweeper.sweep() == []


# --- transfers ----------------------------------------------------------------------------


def test_a_running_moves_recordings_are_kept(parts: Parts, tmp_path: Path) -> None:
    """A move blocked mid-way (its checkpoint): its recordings are kept by the age limit,
    the others go; the size limit waits for its end, and applies then."""
    for number, days in ((1, 100), (2, 90), (3, 80), (4, 1)):
        parts.record(f"1764650000.{number}", days=days, size=400_000)
    parts.targets.device_added(SANDISK_VFAT)
    inside, release = threading.Event(), threading.Event()

    def checkpoint(step: str, recording_id: str) -> None:
        if step == "written":
            inside.set()
            assert release.wait(10)

    journal = Journal(tmp_path / "data/orpheus/recordings-transfer.json")
    transfers = Transfers(parts.targets, journal, checkpoint, now=lambda: NOW)
    feature = TransferFeature(transfers, JobRegistry(), parts.audit)
    parts.sweeper.claimed, parts.sweeper.busy = feature.claimed, feature.busy
    plan = transfers.plan("move", "internal", USB, Selection(older_than_days=85))
    assert plan.ids == ["1764650000.1", "1764650000.2"]
    job = feature._spawn(plan)
    assert inside.wait(10)
    assert feature.claimed("internal") == {"1764650000.1", "1764650000.2"}
    parts.targets.set_retention("internal", Limits(max_age_days=30, max_bytes=MB), "admin")
    deleted = parts.sweeper.sweep()
    assert [d.recording_id for d in deleted] == ["1764650000.3"]  # not the move's; no size
    release.set()
    _wait(job)
    assert parts.ids() == ["1764650000.4"]
    usb = RecordingStore(parts.targets.get(USB).recordings_dir)
    assert parts.ids(usb) == ["1764650000.1", "1764650000.2"]  # moved whole


def test_a_finished_transfer_wakes_the_sweeper(parts: Parts, tmp_path: Path) -> None:
    sweeper = Sweeper(parts.targets, parts.audit, interval=60, min_gap=0.01, now=lambda: NOW)
    journal = Journal(tmp_path / "data/orpheus/recordings-transfer.json")
    feature = TransferFeature(Transfers(parts.targets, journal), JobRegistry(), parts.audit)
    feature.finished = sweeper.wake
    parts.targets.device_added(SANDISK_VFAT)
    usb = RecordingStore(parts.targets.get(USB).recordings_dir)
    make_recording(usb, "1764650000.1", started=days_ago(50, NOW))
    make_recording(usb, "1764650000.2", started=days_ago(1, NOW))
    parts.record("1764650000.3", days=1)
    parts.targets.set_retention(USB, Limits(max_age_days=10), "admin")
    sweeper.start()
    try:
        _until(lambda: parts.ids(usb) == ["1764650000.2"])  # the first sweep
        make_recording(usb, "1764650000.4", started=days_ago(50, NOW))
        plan = feature.transfers.plan("copy", "internal", USB, Selection())
        _wait(feature._spawn(plan))
        _until(lambda: parts.ids(usb) == ["1764650000.2", "1764650000.3"])
    finally:
        sweeper.stop()


# --- the limits -----------------------------------------------------------------------------


def test_limits_are_kept_per_target_and_rewritten_only_when_they_change(
    parts: Parts, tmp_path: Path
) -> None:
    settings = tmp_path / "data/orpheus/storage.json"
    parts.targets.set_default("internal", "admin")
    parts.targets.set_retention("internal", Limits(90, 2 * MB), "admin")
    written = settings.stat()
    parts.targets.set_retention("internal", Limits(90, 2 * MB), "admin")
    assert settings.stat().st_mtime_ns == written.st_mtime_ns
    assert json.loads(settings.read_text()) == {
        "default": "internal", "retention": {"internal": {"max_age_days": 90, "max_bytes": 2 * MB}},
    }  # fmt: skip
    assert [e.change for e in parts.audit.entries] == ["storage.default", "storage.retention"]
    parts.targets.set_retention("internal", Limits(), "admin")
    assert json.loads(settings.read_text())["retention"] == {}
    with pytest.raises(NoSuchTarget):
        parts.targets.set_retention(USB, Limits(1), "admin")


def test_limits_out_of_bounds_in_the_file_are_no_limit(parts: Parts, tmp_path: Path) -> None:
    settings = tmp_path / "data/orpheus/storage.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    kept = {"max_age_days": 0, "max_bytes": 5}
    settings.write_text(json.dumps({"retention": {"internal": kept, USB: "junk"}}))
    assert parts.targets.retention("internal") == Limits()
    assert parts.targets.retention(USB) == Limits()
    assert Limits.parse({"max_age_days": True, "max_bytes": 1.5}) == Limits()


def test_due_is_oldest_first_and_skips_what_is_kept() -> None:
    def held(number: int, days: int) -> Held:
        return Held(f"1.{number}", NOW - datetime.timedelta(days=days), 10)

    recordings = [held(1, 5), held(2, 50), held(3, 40), held(4, 30)]
    chosen = due(recordings, Limits(max_bytes=20), NOW, kept=frozenset({"1.2"}))
    assert [h.recording_id for h, _ in chosen] == ["1.3", "1.4"]
    assert due(recordings, Limits(max_bytes=20), NOW, size_limit=False) == []


def _wait(job: Job) -> None:
    _until(lambda: not job.running)


def _until(predicate: object) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        time.sleep(0.01)
    raise AssertionError("gave up waiting")
