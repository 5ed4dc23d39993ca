"""A drive's filesystem check (storage/check.py): each exit code of e2fsck, fsck.vfat and
fsck.exfat read through a fake runner, then the real tools on image files (no mount, no
root: the checkers run on a regular file as on a device) to hold the reading to them."""

from __future__ import annotations

import datetime
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from orpheus import runner
from orpheus.runner import CommandError, Completed
from orpheus.storage.check import FsckChecker, held, mounted_sources, repair_argv
from orpheus.storage.devices import UsbVolume

AT = datetime.datetime(2026, 12, 4, 1, 30, tzinfo=datetime.UTC)


class FakeRun:
    """Answers each call with the next exit code (None: timed out); the file may vanish."""

    def __init__(self, codes: Sequence[int | None], output: str = "", pull: Path | None = None):
        self.codes = list(codes)
        self.output = output
        self.pull = pull
        self.calls: list[list[str]] = []

    def __call__(self, argv: Sequence[str], *, timeout: float) -> Completed:
        args = [str(a) for a in argv]
        self.calls.append(args)
        assert timeout == 60.0
        if self.pull is not None:
            self.pull.unlink(missing_ok=True)
        code = self.codes.pop(0)
        if code is None:
            raise CommandError(args, "timed out after 60 s")
        if code:
            raise CommandError(args, "failed", returncode=code, stdout=self.output)
        return Completed(tuple(args), self.output, "")


def checker(run: FakeRun, mounted: frozenset[str] = frozenset()) -> FsckChecker:
    return FsckChecker(run, timeout=60.0, mounted=lambda: mounted, now=lambda: AT)


@pytest.fixture
def device(tmp_path: Path) -> Path:
    path = tmp_path / "sdb1"
    path.write_bytes(b"")
    return path


@pytest.mark.parametrize(
    ("fs_type", "code", "result", "read_write"),
    [
        ("ext4", 0, "clean", True), ("ext4", 1, "fixed", True), ("ext4", 2, "fixed", True),
        ("ext4", 3, "fixed", True), ("ext4", 4, "errors", False), ("ext4", 5, "errors", False),
        ("ext4", 8, "failed", False), ("ext4", 12, "failed", False),
        ("ext4", 16, "failed", False), ("ext4", 32, "failed", False),
        ("ext4", 128, "failed", False),
        ("exfat", 0, "clean", True), ("exfat", 1, "fixed", True), ("exfat", 4, "errors", False),
        ("exfat", 8, "failed", False),
        ("vfat", 0, "clean", True), ("vfat", 2, "failed", False),
    ],
)  # fmt: skip
def test_each_exit_code(
    device: Path, fs_type: str, code: int, result: str, read_write: bool
) -> None:
    run = FakeRun([code], output="sdb1: Inode 2 ref count is 4, should be 3.  FIXED.\n")
    found = checker(run).check_path(fs_type, device)
    assert (found.result, found.read_write, found.at) == (result, read_write, AT.isoformat())
    assert run.calls == [repair_argv(fs_type, device)]
    assert "\n" not in found.detail and found.detail.startswith(
        {"clean": "", "fixed": "errors fixed", "errors": "errors left", "failed": ""}[result]
    )
    if result == "failed":
        assert f"exit code {code}" in found.detail


def test_the_repair_modes_are_the_unattended_ones(device: Path) -> None:
    assert repair_argv("ext4", device) == ["e2fsck", "-p", str(device)]
    assert repair_argv("vfat", device) == ["fsck.vfat", "-a", "-w", str(device)]
    assert repair_argv("exfat", device) == ["fsck.exfat", "-p", str(device)]
    with pytest.raises(ValueError, match="no checker for ntfs"):
        repair_argv("ntfs", device)


def test_vfat_one_is_told_apart_by_a_check_only_run(device: Path) -> None:
    fixed = FakeRun([1, 0])
    assert checker(fixed).check_path("vfat", device).result == "fixed"
    assert fixed.calls[1] == ["fsck.vfat", "-n", str(device)]
    left = FakeRun([1, 1], output="Logical sector size is zero.")
    found = checker(left).check_path("vfat", device)
    assert (found.result, found.detail) == (
        "errors", "errors left uncorrected: fsck.vfat: Logical sector size is zero.",
    )  # fmt: skip
    assert checker(FakeRun([1, None])).check_path("vfat", device).result == "failed"


def test_a_timeout_or_a_missing_checker_is_failed(device: Path) -> None:
    found = checker(FakeRun([None])).check_path("ext4", device)
    assert (found.result, found.detail) == ("failed", f"e2fsck -p {device} timed out after 60 s")
    missing = FsckChecker(timeout=60.0, run=lambda argv, timeout: runner.run(["/nonexistent"]))
    assert missing.check_path("ext4", device).result == "failed"


def test_never_on_a_mounted_filesystem(device: Path) -> None:
    run = FakeRun([0])
    found = checker(run, mounted=frozenset({str(device.resolve())})).check_path("ext4", device)
    assert (found.result, found.read_write, run.calls) == ("failed", False, [])
    assert found.detail == "in use (mounted): not checked"


def test_a_drive_pulled_out_before_or_during_its_check_is_gone(device: Path) -> None:
    during = checker(FakeRun([8], pull=device)).check_path("ext4", device)
    assert (during.result, during.detail) == ("gone", "the drive was pulled out during its check")
    run = FakeRun([0])
    before = checker(run).check_path("ext4", device)
    assert (before.result, run.calls) == ("gone", [])
    device.write_bytes(b"")
    assert checker(FakeRun([1, 1], pull=device)).check_path("vfat", device).result == "gone"


def test_a_volume_is_checked_by_its_uuid_link() -> None:
    run = FakeRun([0])
    volume = UsbVolume("5e1c-8a2f", "vfat", "/dev/sdb1", "ARCHIVE")
    assert checker(run).check(volume).result == "gone"  # no such link on this host
    assert run.calls == []


def test_mounted_sources_and_held(tmp_path: Path, device: Path) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(f"{device} /run/x ext4 rw 0 0\nproc /proc proc rw 0 0\n")
    assert mounted_sources(mounts) == frozenset()  # only /dev/... sources count
    mounts.write_text("/dev/sdz9 /run/x ext4 rw 0 0\nproc /proc proc rw 0 0\n")
    assert mounted_sources(mounts) == frozenset({"/dev/sdz9"})
    assert mounted_sources(tmp_path / "absent") == frozenset()
    assert held(device) is False  # a regular file: no exclusive claim to test


# The real checkers on image files.

SIZE = 16 * 1024 * 1024


def tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    assert found is not None, (
        f"the host tool {name} is missing (apt e2fsprogs dosfstools exfatprogs)"
    )
    return found


def real() -> FsckChecker:
    def run(argv: Sequence[str], *, timeout: float) -> Completed:
        return runner.run([tool(str(argv[0])), *argv[1:]], timeout=timeout)

    return FsckChecker(run, timeout=60.0, mounted=frozenset)


def sh(*argv: str) -> None:
    subprocess.run([tool(argv[0]), *argv[1:]], check=True, capture_output=True)


def ext4(path: Path) -> Path:
    sh("mkfs.ext4", "-q", "-F", str(path), "8M")
    return path


def dirty(path: Path) -> None:
    """As a drive pulled out unmounted leaves it: e2fsck -p walks it then."""
    sh("debugfs", "-w", "-R", "ssv state 0", str(path))


@pytest.mark.host_tools  # mkfs.ext4, debugfs, e2fsck
def test_real_e2fsck(tmp_path: Path) -> None:
    clean = real().check_path("ext4", ext4(tmp_path / "clean.img"))
    assert (clean.result, clean.read_write) == ("clean", True)
    assert "clean" in clean.detail

    fixable = ext4(tmp_path / "fixable.img")
    sh("debugfs", "-w", "-R", "clri <11>", str(fixable))  # lost+found's inode cleared
    dirty(fixable)
    fixed = real().check_path("ext4", fixable)
    assert (fixed.result, fixed.read_write) == ("fixed", True), fixed.detail
    assert real().check_path("ext4", fixable).result == "clean"  # fixed for good

    broken = ext4(tmp_path / "broken.img")
    sh("debugfs", "-w", "-R", "clri <2>", str(broken))  # the root directory's inode
    dirty(broken)
    left = real().check_path("ext4", broken)
    assert (left.result, left.read_write) == ("errors", False), left.detail
    assert real().check_path("ext4", broken).result == "errors"  # preen does not fix it

    magic = ext4(tmp_path / "magic.img")
    with magic.open("r+b") as image:  # the primary superblock's magic (offset 1024 + 56)
        image.seek(1024 + 56)
        image.write(b"\0\0")
    unreadable = real().check_path("ext4", magic)
    assert (unreadable.result, unreadable.read_write) == ("failed", False)
    assert "exit code 8" in unreadable.detail


@pytest.mark.host_tools  # mkfs.vfat, fsck.vfat
def test_real_fsck_vfat(tmp_path: Path) -> None:
    def vfat(name: str) -> Path:
        path = tmp_path / name
        sh("mkfs.vfat", "-C", str(path), str(SIZE // 2048))
        return path

    assert real().check_path("vfat", vfat("clean.img")).result == "clean"
    unclean = vfat("dirty.img")
    with unclean.open("r+b") as image:  # FAT16's dirty bit: boot sector offset 37
        image.seek(37)
        image.write(b"\x01")
    fixed = real().check_path("vfat", unclean)
    assert fixed.result == "fixed", fixed.detail
    assert real().check_path("vfat", unclean).result == "clean"
    broken = vfat("broken.img")
    with broken.open("r+b") as image:  # bytes per sector: zero
        image.seek(11)
        image.write(b"\0\0")
    left = real().check_path("vfat", broken)
    assert (left.result, left.read_write) == ("errors", False), left.detail


@pytest.mark.host_tools  # mkfs.exfat, fsck.exfat (exfatprogs)
def test_real_fsck_exfat(tmp_path: Path) -> None:
    clean = tmp_path / "clean.img"
    clean.write_bytes(b"")
    with clean.open("r+b") as image:
        image.truncate(SIZE)
    sh("mkfs.exfat", str(clean))
    assert real().check_path("exfat", clean).result == "clean"
    broken = tmp_path / "broken.img"
    shutil.copyfile(clean, broken)
    with broken.open("r+b") as image:  # the boot region's checksum sector
        image.seek(11 * 512)
        image.write(b"\xde\xad\xbe\xef")
    left = real().check_path("exfat", broken)
    assert (left.result, left.read_write) == ("errors", False), left.detail
    notfs = tmp_path / "notfs.img"
    shutil.copyfile(clean, notfs)
    with notfs.open("r+b") as image:  # the filesystem's name: not EXFAT any more
        image.seek(3)
        image.write(b"XXXX")
    assert real().check_path("exfat", notfs).result == "failed"


def test_the_drives_words_are_shown_safely(device: Path) -> None:
    hostile = "Entry 'x\x1b[2J\x07" + "y" * 500 + "' has deleted/unused inode 11.  CLEARED."
    found = checker(FakeRun([1], output=hostile)).check_path("ext4", device)
    assert found.result == "fixed" and len(found.detail) <= 200
    assert all(c.isprintable() for c in found.detail) and "x?[2J?" in found.detail
