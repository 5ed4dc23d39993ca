"""What a drive's filesystem check decides (a fake checker; the mount a directory): read-write
when clean or fixed, read-only with an alarm when errors are left or the check failed,
nothing mounted when the drive went away; audited; the re-check; no transfer or recording
to a read-only drive."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from orpheus.jobs.model import Failure, Job, Refusal
from orpheus.recordings.selection import Selection
from orpheus.storage.check import CheckOutcome, CheckResult
from orpheus.storage.devices import UsbVolume
from orpheus.storage.journal import Journal, Plan
from orpheus.storage.registry import StorageTargets, TargetRefused
from orpheus.storage.transfer_job import Transfers
from tests.unit.storage.parts import SANDISK_VFAT, Audit, DirectoryMounter

USB = "usb-5e1c-8a2f"
AT = "2026-12-04T01:30:00+00:00"


@dataclass
class FakeChecker:
    outcomes: list[tuple[CheckOutcome, str]]
    checked: list[str] = field(default_factory=list)

    def check(self, volume: UsbVolume) -> CheckResult:
        self.checked.append(volume.name)
        result, detail = self.outcomes.pop(0)
        return CheckResult(result, detail, AT)


@dataclass
class ModeMounter(DirectoryMounter):
    modes: list[bool] = field(default_factory=list)

    def mount(self, volume: UsbVolume, where: Path, *, read_only: bool = False) -> None:
        super().mount(volume, where, read_only=read_only)
        self.modes.append(read_only)

    def unmount(self, where: Path) -> None:
        super().unmount(where)
        where.rmdir()  # as an unmounted mount point reads: not mounted


def make(
    tmp_path: Path, *outcomes: tuple[CheckOutcome, str]
) -> tuple[StorageTargets, FakeChecker, ModeMounter, Audit]:
    (tmp_path / "data").mkdir(exist_ok=True)
    checker, mounter, audit = FakeChecker(list(outcomes)), ModeMounter(), Audit()
    targets = StorageTargets(
        tmp_path / "data/recordings", tmp_path / "run/storage", mounter,
        tmp_path / "data/orpheus/storage.json", audit, mounted=Path.is_dir, checker=checker,
    )  # fmt: skip
    return targets, checker, mounter, audit


def usb(targets: StorageTargets) -> dict[str, object]:
    return next(t for t in targets.listing()["targets"] if t["name"] == USB)


@pytest.mark.parametrize("outcome", ["clean", "fixed"])
def test_clean_or_fixed_mounts_read_write(tmp_path: Path, outcome: CheckOutcome) -> None:
    targets, checker, mounter, audit = make(tmp_path, (outcome, "e2fsck: done"))
    targets.device_added(SANDISK_VFAT)
    assert checker.checked == [USB] and mounter.modes == [False]
    listed = usb(targets)
    assert listed["state"] in ("mounted", "full")
    assert listed["check"] == {"result": outcome, "detail": "e2fsck: done", "at": AT}
    assert [e.change for e in audit.entries] == ["storage.check", "storage.plugged"]
    assert audit.entries[0].after == {"result": outcome, "detail": "e2fsck: done", "at": AT,
                                      "mount": "read-write"}  # fmt: skip
    assert targets.alarms() == []


@pytest.mark.parametrize(
    ("outcome", "detail"),
    [("errors", "errors left uncorrected: e2fsck: UNEXPECTED INCONSISTENCY"),
     ("failed", "e2fsck -p /dev/disk/by-uuid/5e1c-8a2f timed out after 600 s")],
)  # fmt: skip
def test_errors_left_or_a_failed_check_mount_read_only_with_an_alarm(
    tmp_path: Path, outcome: CheckOutcome, detail: str
) -> None:
    targets, _, mounter, audit = make(tmp_path, (outcome, detail))
    targets.device_added(SANDISK_VFAT)
    assert mounter.modes == [True]
    listed = usb(targets)
    assert (listed["state"], listed["message"]) == ("read-only", detail)
    assert audit.entries[0].after["mount"] == "read-only"
    assert targets.alarms() == [
        f"USB drive {USB} (ARCHIVE) mounted read-only, its check found {outcome}: {detail}"
    ]
    with pytest.raises(TargetRefused, match=f"^{USB} is mounted read-only: it cannot take"):
        targets.set_default(USB, "admin")
    transfers = Transfers(targets, Journal(tmp_path / "journal.json"))
    with pytest.raises(Refusal, match=f"^{USB} is mounted read-only$"):
        transfers.plan("copy", "internal", USB, Selection())
    # A resumed transfer (its journal from before the plug) is refused in one line too.
    with pytest.raises(Failure, match=f"^copy not done: {USB} is mounted read-only$"):
        transfers.run(Job("copy", "x"), Plan("copy", "internal", USB, [], {}))
    targets.device_removed(SANDISK_VFAT)
    assert targets.alarms() == []


def test_a_drive_pulled_out_during_its_check_mounts_nothing(tmp_path: Path) -> None:
    targets, _, mounter, audit = make(tmp_path, ("gone", "the drive was pulled out"))
    targets.device_added(SANDISK_VFAT)
    assert mounter.mounted == []
    listed = usb(targets)
    assert (listed["state"], listed["message"]) == (
        "unreachable", f"{USB} went away during its filesystem check: not mounted",
    )  # fmt: skip
    assert audit.entries[0].after["mount"] == "no"
    targets.device_removed(SANDISK_VFAT)  # udev's remove: nothing to unmount
    assert mounter.unmounted == [] and [t.name for t in targets.targets()] == ["internal"]


def test_a_drive_mounted_before_the_agent_started_is_not_checked(tmp_path: Path) -> None:
    targets, checker, mounter, _ = make(tmp_path)
    (tmp_path / "run/storage" / USB).mkdir(parents=True)
    targets.device_added(SANDISK_VFAT)
    assert checker.checked == [] and mounter.modes == [False]
    assert usb(targets)["check"]["result"] == "not-checked"  # type: ignore[index]


def test_recheck_unmounts_checks_and_mounts_again(tmp_path: Path) -> None:
    targets, checker, mounter, audit = make(
        tmp_path, ("errors", "errors left"), ("fixed", "errors fixed: fsck.vfat: 0 files")
    )
    targets.device_added(SANDISK_VFAT)
    with pytest.raises(TargetRefused, match=f"^{USB} is in use: job 3"):
        targets.recheck(USB, "admin", lambda name: "job 3 (copy internal -> x)")
    with pytest.raises(TargetRefused, match="internal target"):
        targets.recheck("internal", "admin", lambda name: None)
    assert targets.recheck(USB, "admin", lambda name: None).result == "fixed"
    assert checker.checked == [USB, USB]
    assert mounter.modes == [True, False] and len(mounter.unmounted) == 1
    assert usb(targets)["state"] in ("mounted", "full") and targets.alarms() == []
    assert (audit.entries[-1].change, audit.entries[-1].user) == ("storage.check", "admin")


def test_without_a_checker_a_drive_is_mounted_unchecked(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    mounter = ModeMounter()
    targets = StorageTargets(
        tmp_path / "data/recordings", tmp_path / "run/storage", mounter,
        tmp_path / "data/orpheus/storage.json", Audit(), mounted=Path.is_dir,
    )  # fmt: skip
    targets.device_added(SANDISK_VFAT)
    assert mounter.modes == [False] and "check" not in usb(targets)
    with pytest.raises(TargetRefused, match="not checked"):
        targets.recheck(USB, "admin", lambda name: None)


def test_the_result_reads_as_json() -> None:
    result = CheckResult(
        "fixed", "x", datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC).isoformat()
    )
    assert result.as_dict() == {"result": "fixed", "detail": "x", "at": "2026-01-01T00:00:00+00:00"}


def test_one_check_at_a_time_and_no_eject_meanwhile(tmp_path: Path) -> None:
    targets, *_ = make(tmp_path, ("clean", "ok"))
    targets.device_added(SANDISK_VFAT)
    seen: list[str] = []

    class Nested:
        def check(self, volume: UsbVolume) -> CheckResult:
            seen.append(str(targets.get(USB).measure()["message"]))
            for again in (lambda: targets.recheck(USB, "admin", lambda name: None),
                          lambda: targets.eject(USB, "admin", lambda name: None)):  # fmt: skip
                with pytest.raises(TargetRefused, match="being checked"):
                    again()
            return CheckResult("fixed", "fixed", AT)

    targets._checker = Nested()
    assert targets.recheck(USB, "admin", lambda name: None).result == "fixed"
    assert seen == [f"{USB} is being checked"]  # unreachable during the check
    assert targets.eject(USB, "admin", lambda name: None) == USB  # after it: fine


def test_a_drive_is_listed_while_its_first_check_runs(tmp_path: Path) -> None:
    targets, *_ = make(tmp_path)
    seen: list[tuple[object, object]] = []

    class Slow:
        def check(self, volume: UsbVolume) -> CheckResult:
            listed = usb(targets)
            seen.append((listed["state"], listed["message"]))
            with pytest.raises(TargetRefused, match="being checked"):
                targets.eject(USB, "admin", lambda name: None)
            return CheckResult("clean", "ok", AT)

    targets._checker = Slow()
    target = targets.device_added(SANDISK_VFAT)
    assert seen == [("unreachable", f"{USB} is being checked")]
    assert (
        target is not None and target.reachable() and targets.device_added(SANDISK_VFAT) is target
    )
