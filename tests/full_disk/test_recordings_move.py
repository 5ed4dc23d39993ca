"""Recordings moved onto real filesystems (root: mounts): a tiny tmpfs that fills up
mid-move (ENOSPC), and an ext4 image loop-mounted with the agent's own mount options in
place of systemd's mount of a USB drive (no USB hardware or systemd here)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from orpheus.jobs.model import Job, Refusal
from orpheus.jobs.registry import JobRegistry
from orpheus.recordings.selection import Selection
from orpheus.recordings.store import RecordingStore
from orpheus.storage.devices import UsbVolume, usb_volume
from orpheus.storage.journal import Journal
from orpheus.storage.mounts import mount_options
from orpheus.storage.registry import StorageTargets
from orpheus.storage.transfer_job import Transfers
from tests.unit.storage.parts import EXT4_DISK, SANDISK_VFAT, Audit, make_recording

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounts filesystems: needs root")
IDS = [f"1764650000.{n}" for n in range(1, 5)]


class TmpfsMounter:
    """A 1 MiB tmpfs where the stick would be mounted."""

    def mount(self, volume: UsbVolume, where: Path, *, read_only: bool = False) -> None:
        where.mkdir(parents=True, exist_ok=True)
        options = f"size=1m,mode=0700,{mount_options(volume, read_only=read_only)}"
        options = options.replace(",uid=0,gid=0,fmask=0177,dmask=0077", "")  # not tmpfs's
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], check=True)

    def unmount(self, where: Path) -> None:
        subprocess.run(["umount", "-l", str(where)], check=True)


class LoopMounter:
    """The ext4 image as the drive, mounted with the options systemd would be given."""

    def __init__(self, image: Path) -> None:
        self.image = image

    def mount(self, volume: UsbVolume, where: Path, *, read_only: bool = False) -> None:
        where.mkdir(parents=True, exist_ok=True)
        options = f"loop,{mount_options(volume, read_only=read_only)}"
        subprocess.run(["mount", "-t", "ext4", "-o", options, str(self.image), str(where)],
                       check=True)  # fmt: skip

    def unmount(self, where: Path) -> None:
        subprocess.run(["umount", "-l", str(where)], check=True)


def targets(tmp_path: Path, mounter: TmpfsMounter | LoopMounter) -> StorageTargets:
    (tmp_path / "data").mkdir(exist_ok=True)
    return StorageTargets(
        tmp_path / "data/recordings", tmp_path / "run/storage", mounter,
        tmp_path / "data/orpheus/storage.json", Audit(),
    )  # fmt: skip


def move(registry: StorageTargets, tmp_path: Path, to: str) -> Job:
    work = Transfers(registry, Journal(tmp_path / "data/orpheus/transfer.json"))
    plan = work.plan("move", "internal", to, Selection())
    job = Job("move")
    JobRegistry().run(job, lambda j: work.run(j, plan))
    return job


@pytest.fixture
def unmount_all(tmp_path: Path) -> Iterator[None]:
    yield
    storage = tmp_path / "run/storage"
    for where in storage.iterdir() if storage.exists() else []:
        if os.path.ismount(where):
            subprocess.run(["umount", "-l", str(where)], check=True)


@pytest.mark.usefixtures("unmount_all")
def test_a_stick_that_fills_up_mid_move_ends_the_job_with_the_rest_intact(tmp_path: Path) -> None:
    store = RecordingStore(tmp_path / "data/recordings")
    made = {i: make_recording(store, i, audio_bytes=300_000) for i in IDS}  # 1.2 MB > 1 MiB
    registry = targets(tmp_path, TmpfsMounter())
    stick = registry.device_added(SANDISK_VFAT)
    assert stick is not None and os.path.ismount(stick.root)
    job = move(registry, tmp_path, stick.name)
    assert job.state == "failed"
    assert job.message == (
        f"{stick.name} is full: move stopped after 3 of 4 recording(s); the rest is still on "
        "internal"
    )
    moved = sorted(p.name for p in stick.recordings_dir.iterdir())
    assert moved == sorted([f"{i}.age" for i in IDS[:3]] + [f"{i}.json" for i in IDS[:3]])
    assert {i: stick.store.audio_path(i).read_bytes() for i in IDS[:3]} == {
        i: made[i] for i in IDS[:3]
    }
    assert [i for i, _ in store.entries()] == IDS[3:]  # the one that did not fit: still there
    assert store.audio_path(IDS[3]).read_bytes() == made[IDS[3]]


@pytest.mark.host_tools  # mkfs.ext4, mount -o loop
@pytest.mark.usefixtures("unmount_all")
def test_an_ext4_drive_takes_recordings_and_is_unreachable_once_pulled(tmp_path: Path) -> None:
    image = tmp_path / "stick.img"
    with image.open("wb") as out:
        out.truncate(96 * 1024 * 1024)  # sparse; above the 64 MiB a target is full below
    subprocess.run(["mkfs.ext4", "-q", "-U", EXT4_DISK["ID_FS_UUID"], str(image)], check=True)
    store = RecordingStore(tmp_path / "data/recordings")
    made = {i: make_recording(store, i) for i in IDS}
    registry = targets(tmp_path, LoopMounter(image))
    volume = usb_volume(EXT4_DISK)
    assert volume is not None
    drive = registry.device_added(EXT4_DISK)
    assert drive is not None and os.path.ismount(drive.root)
    flags = os.statvfs(drive.root).f_flag
    assert flags & os.ST_NODEV and flags & os.ST_NOSUID and flags & os.ST_NOEXEC
    job = move(registry, tmp_path, drive.name)
    assert job.state == "succeeded", job.message
    assert {i: drive.store.audio_path(i).read_bytes() for i in IDS} == made
    listed = {t["name"]: t for t in registry.listing()["targets"]}[volume.name]
    assert (listed["state"], listed["recordings"]) == ("mounted", 4)
    subprocess.run(["mount", "-o", "remount,ro", str(drive.root)], check=True)
    listed = {t["name"]: t for t in registry.listing()["targets"]}[volume.name]
    assert listed["state"] == "read-only"
    work = Transfers(registry, Journal(tmp_path / "data/orpheus/transfer.json"))
    with pytest.raises(Refusal, match="read-only: its recordings can be copied only"):
        work.plan("move", drive.name, "internal", Selection())
    with pytest.raises(Refusal, match="is mounted read-only"):
        work.plan("copy", "internal", drive.name, Selection())
    job = Job("copy")
    plan = work.plan("copy", drive.name, "internal", Selection())
    JobRegistry().run(job, lambda j: work.run(j, plan))
    assert job.state == "succeeded" and [i for i, _ in store.entries()] == IDS
    subprocess.run(["umount", "-l", str(drive.root)], check=True)  # pulled out
    listed = {t["name"]: t for t in registry.listing()["targets"]}[volume.name]
    assert (listed["state"], listed["message"]) == ("unreachable", "not mounted")
