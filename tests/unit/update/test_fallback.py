"""The fallback slot kept bootable (update/fallback.py, slot_copy.py, rauc_view.py), and a
stalled bundle server ending the download (fetch.py).

The slots here are ext4 images in files made with mke2fs (the device nodes of a unit cannot
exist on a test host); RAUC is the in-memory fake, so the marks it was asked for are checked,
not GRUB's environment (the QEMU walk, tests/update, checks that with the real RAUC)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orpheus import runner
from orpheus.dbus.fakes import FakeRauc
from orpheus.jobs.model import Job
from orpheus.jobs.registry import JobRegistry
from orpheus.update import fetch, slot_copy
from orpheus.update.fallback import ATTEMPTS_PER_BOOT, FallbackDeps, FallbackKeeper
from orpheus.update.jobs import JobSlot
from orpheus.update.policy import Firmware
from orpheus.update.rauc_view import RaucView
from orpheus.update.state import UpdateState
from tests.unit.update.http_server import remote_loopback

MIB = 1024 * 1024


def make_ext4(path: Path, size_mib: int, content: Path | None = None) -> Path:
    argv = ["mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096"]
    if content is not None:
        argv += ["-d", str(content)]
    runner.run([*argv, str(path), f"{size_mib}M"])
    return path


def junk(path: Path, size_mib: int) -> Path:
    with path.open("wb") as out:
        for i in range(size_mib):
            out.write(bytes([i % 251]) * MIB)
    return path


@pytest.fixture
def slots(tmp_path: Path) -> tuple[Path, Path]:
    tree = tmp_path / "tree"
    (tree / "usr/lib/orpheus").mkdir(parents=True)
    (tree / "usr/lib/orpheus/release.json").write_text('{"version": "1.2.0"}')
    source = make_ext4(tmp_path / "rootfs-a", 12, tree)
    return source, junk(tmp_path / "rootfs-b", 16)


def test_a_copy_holds_the_source_filesystem_and_reads_back_identical(
    slots: tuple[Path, Path],
) -> None:
    source, target = slots
    shares: list[float] = []
    length = slot_copy.copy(source, target, shares.append)
    assert length == slot_copy.ext4_length(source) == 12 * MIB
    assert target.read_bytes()[:length] == source.read_bytes()
    assert shares[-1] == pytest.approx(1.0) and shares == sorted(shares)
    # Past the filesystem's end the slot is left as it was: ext4 knows its own size.
    assert target.read_bytes()[length : length + 10] == bytes([12 % 251]) * 10


def test_a_copy_that_reads_back_different_is_refused(
    slots: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disk that does not keep what it was given (one byte of the third chunk changed on
    its way: a stand-in for a failing flash chip) is caught by the read-back."""
    source, target = slots
    write_all = slot_copy._write_all

    def flaky(fd: int, data: bytes, offset: int) -> None:
        if offset == 2 * slot_copy.CHUNK_BYTES:
            data = bytes([data[0] ^ 1]) + data[1:]
        write_all(fd, data, offset)

    monkeypatch.setattr(slot_copy, "_write_all", flaky)
    with pytest.raises(slot_copy.SlotCopyError, match=r"reads back different .* at byte 8388608"):
        slot_copy.copy(source, target, lambda _share: None)


def test_a_target_smaller_than_the_filesystem_is_refused_untouched(tmp_path: Path) -> None:
    source = make_ext4(tmp_path / "a", 12)
    target = junk(tmp_path / "b", 8)
    before = target.read_bytes()
    with pytest.raises(slot_copy.SlotCopyError, match="has 8388608 bytes, the filesystem needs"):
        slot_copy.copy(source, target, lambda _share: None)
    assert target.read_bytes() == before


def test_a_source_without_ext4_is_refused(tmp_path: Path) -> None:
    with pytest.raises(slot_copy.SlotCopyError, match="holds no ext4 filesystem"):
        slot_copy.copy(junk(tmp_path / "a", 2), junk(tmp_path / "b", 2), lambda _share: None)


def test_a_copy_that_fails_its_filesystem_check_is_reported(
    slots: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The source is damaged after its superblock (its inode table zeroed): the copy is
    identical to it, and e2fsck finds the damage in the copy."""
    source, target = slots
    with source.open("r+b") as handle:
        handle.seek(4096 * 2)
        handle.write(b"\0" * 4096 * 64)
    with pytest.raises(slot_copy.SlotCopyError, match="fails its filesystem check"):
        slot_copy.copy(source, target, lambda _share: None)


class Unit:
    """The keeper on a unit booted from slot A, RAUC's fake holding the two slot files."""

    def __init__(self, tmp_path: Path, slots: tuple[Path, Path], other: str = "bad") -> None:
        self.rauc = FakeRauc()
        self.rauc.slots["rootfs.0"]["device"] = str(slots[0])
        self.rauc.slots["rootfs.1"]["device"] = str(slots[1])
        self.rauc.slots["rootfs.1"]["boot-status"] = other
        self.view = RaucView(lambda: (self.rauc.slot_status(), self.rauc.primary()), self.mark)
        self.state = UpdateState(tmp_path / "state.json")
        self.jobs = JobSlot(JobRegistry())
        self.restored: list[str] = []
        self.deps = FallbackDeps(
            view=self.view,
            state=self.state,
            running=Firmware("1.2.0", "2026-11-01T00:00:00Z", "1.0.0"),
            booted_slot="A",
            jobs=self.jobs,
            on_restored=self.restored.append,
        )
        self.keeper = FallbackKeeper(self.deps)

    def mark(self, state: str, slot: str) -> str:
        """The fake's mark, with the boot status it sets (as RAUC's GRUB backend does)."""
        message = self.rauc.mark(state, slot)
        name = "rootfs.0" if slot == "booted" else "rootfs.1"
        if state in ("good", "bad"):
            self.rauc.slots[name]["boot-status"] = state
        else:
            self.rauc.primary_slot = name
        return message

    def wait(self, job: Job) -> Job:
        deadline = time.monotonic() + 30
        while job.running and time.monotonic() < deadline:
            time.sleep(0.02)
        return job


def test_a_bad_other_slot_is_restored_from_the_running_one_and_marked_good(
    tmp_path: Path, slots: tuple[Path, Path]
) -> None:
    unit = Unit(tmp_path, slots)
    job = unit.keeper.check()
    assert job is not None and job.kind == "restore"
    assert unit.wait(job).state == "succeeded", job.message
    assert job.message == "slot B restored: a copy of firmware 1.2.0 from slot A"
    assert unit.rauc.marks == [("bad", "other"), ("good", "other")]
    record = unit.state.read()
    assert record["fallback"]["state"] == "good" and record["fallback"]["copy_of"] == "1.2.0"
    assert record["slots"]["B"]["version"] == "1.2.0"
    assert unit.restored == [job.message]
    assert unit.keeper.check() is None  # good now: nothing more to do
    length = slot_copy.ext4_length(slots[0])
    assert slots[1].read_bytes()[:length] == slots[0].read_bytes()[:length]


def test_after_a_rollback_the_running_slot_goes_first_again(
    tmp_path: Path, slots: tuple[Path, Path]
) -> None:
    """The slot that failed its first boot was still first in the boot order."""
    unit = Unit(tmp_path, slots)
    unit.rauc.primary_slot = "rootfs.1"
    job = unit.keeper.check()
    assert job is not None and unit.wait(job).state == "succeeded", job
    assert unit.rauc.marks[-1] == ("active", "booted") and unit.rauc.primary_slot == "rootfs.0"


@pytest.mark.parametrize("booted_status", ["bad", ""])
def test_a_running_slot_not_yet_committed_is_no_source(
    tmp_path: Path, slots: tuple[Path, Path], booted_status: str
) -> None:
    unit = Unit(tmp_path, slots)
    unit.rauc.slots["rootfs.0"]["boot-status"] = booted_status
    assert unit.keeper.check() is None and unit.rauc.marks == []


def test_no_restore_while_an_install_runs(tmp_path: Path, slots: tuple[Path, Path]) -> None:
    unit = Unit(tmp_path, slots)
    unit.jobs.claim(Job("install", "http://example.invalid/b.raucb"))
    assert unit.keeper.check() is None and unit.rauc.marks == []


def test_a_failed_restore_is_reported_and_tried_a_bounded_number_of_times(
    tmp_path: Path, slots: tuple[Path, Path]
) -> None:
    unit = Unit(tmp_path, slots)

    def broken(_source: Path, target: Path, _progress: slot_copy.Progress) -> int:
        raise slot_copy.SlotCopyError(f"the copy on {target} reads back different")

    unit.deps.copy = broken
    for _ in range(ATTEMPTS_PER_BOOT):
        job = unit.keeper.check()
        assert job is not None and unit.wait(job).state == "failed"
        assert job.message.startswith("restoring slot B failed: the copy on ")
    assert unit.keeper.check() is None
    assert ("good", "other") not in unit.rauc.marks
    assert unit.state.read()["fallback"]["state"] == "failed"


def test_a_restore_shows_its_progress_and_holds_off_an_install(
    tmp_path: Path, slots: tuple[Path, Path]
) -> None:
    unit = Unit(tmp_path, slots)
    halfway, release = threading.Event(), threading.Event()

    def slow(source: Path, target: Path, progress: slot_copy.Progress) -> int:
        progress(0.4)
        halfway.set()
        release.wait(10)
        return slot_copy.copy(source, target, progress)

    unit.deps.copy = slow
    job = unit.keeper.check()
    assert job is not None and halfway.wait(10)
    assert job.progress == 39 and job.message.startswith("restoring slot B: copying slot A")
    with pytest.raises(Exception, match="an update job is already running"):
        unit.jobs.claim(Job("install", "/data/b.raucb"))
    release.set()
    assert unit.wait(job).state == "succeeded"


def test_a_restore_gives_way_to_an_install_and_comes_again_after_it(
    tmp_path: Path, slots: tuple[Path, Path]
) -> None:
    unit = Unit(tmp_path, slots)
    started, release = threading.Event(), threading.Event()

    def slow(source: Path, target: Path, progress: slot_copy.Progress) -> int:
        started.set()
        release.wait(10)
        progress(0.5)  # the copy's next chunk: where a restore looks whether to stop
        return slot_copy.copy(source, target, progress)

    unit.deps.copy = slow
    restore = unit.keeper.check()
    assert restore is not None and started.wait(10)
    threading.Timer(0.2, release.set).start()
    unit.keeper.give_way()
    assert restore.state == "failed", restore
    assert restore.message.startswith("restoring slot B stopped: an install was asked for")
    assert ("good", "other") not in unit.rauc.marks
    assert unit.state.read()["fallback"]["state"] == "stopped"
    install = unit.jobs.claim(Job("install", "/data/b.raucb"))  # no longer busy
    install.finish("failed", "install failed: the disk went away")
    unit.deps.copy = slot_copy.copy
    again = unit.keeper.check()  # the install failed: the slot is still bad
    assert again is not None and unit.wait(again).state == "succeeded", again


def test_the_view_keeps_the_last_answer_while_rauc_is_busy(tmp_path: Path) -> None:
    rauc = FakeRauc(unavailable="cannot reach the system bus")
    view = RaucView(lambda: (rauc.slot_status(), rauc.primary()), rauc.mark)
    with pytest.raises(Exception, match="cannot reach the system bus"):
        view.current()
    rauc.unavailable = None
    assert view.current()[1] == "rootfs.0"  # asked by the caller until a first answer
    rauc.unavailable = "already processing a different method"
    assert not view.refresh() and view.error == "already processing a different method"
    slots, primary = view.current()
    assert primary == "rootfs.0" and slots["rootfs.1"]["boot-status"] == "good"


@pytest.fixture
def stalling_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Announces 1 MiB, sends 64 KiB, then nothing (the connection stays open)."""
    remote_loopback(monkeypatch)
    listener = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            head = b"HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n"
            connection.sendall(head + b"x" * 65536)
            done.wait(30)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/b.raucb"
    finally:
        done.set()
        thread.join(5)
        listener.close()


def test_a_server_that_stops_sending_ends_the_download_with_one_line(
    tmp_path: Path, stalling_server: str
) -> None:
    target = tmp_path / "download/b.raucb"
    got: list[int] = []
    with pytest.raises(fetch.Stalled, match=r"^no data from 127\.0\.0\.1 for 1 s$"):
        fetch.download(stalling_server, target, 10**9, lambda d, _s: got.append(d), stall_seconds=1)
    assert not target.exists()  # nothing half-done is left
