"""orpheus-factory flash with the real bmaptool, onto files and loop devices (as root).

The image here is a small one made by the test (64 MiB, three mapped regions, its bmap and
SHA256SUMS as the builder writes them), so each case flashes in well under a second; the
built image is flashed by the factory line's QEMU walk. A loop device stands for the unit's
disk: the station has no USB-attached SSD here.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from orpheus.factory.targets import station_root_disks

pytestmark = pytest.mark.host_tools

MIB = 1 << 20
IMAGE_SIZE = 64 * MIB
REGIONS = ((0, MIB), (20 * MIB, 2 * MIB), (50 * MIB, MIB // 2))
Attach = Callable[[int], tuple[Path, Path]]  # size -> (loop device, its backing file)


def factory(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orpheus.factory", *args],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip


def write_sums(directory: Path) -> None:
    lines = [
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n"
        for p in sorted(directory.iterdir())
        if p.name != "SHA256SUMS"
    ]
    (directory / "SHA256SUMS").write_text("".join(lines))


@pytest.fixture
def image(tmp_path: Path) -> Path:
    """A sparse image with random data in REGIONS, its bmap and SHA256SUMS."""
    directory = tmp_path / "build"
    directory.mkdir()
    path = directory / "orpheus-mini-9.9.9.img"
    with path.open("wb") as out:
        out.truncate(IMAGE_SIZE)
        for offset, size in REGIONS:
            out.seek(offset)
            out.write(os.urandom(size))
    bmap = path.with_name(path.name + ".bmap")
    subprocess.run(["bmaptool", "-q", "create", "-o", str(bmap), str(path)], check=True)
    write_sums(directory)
    return path


@pytest.fixture
def loop_device(tmp_path: Path) -> Iterator[Attach]:
    """A factory of loop devices over files of a given size; all detached after the test."""
    attached: list[str] = []

    def attach(size: int) -> tuple[Path, Path]:
        backing = tmp_path / f"disk{len(attached)}"
        with backing.open("wb") as out:
            out.write(os.urandom(MIB))  # something the test can see unchanged
            out.truncate(size)
        device = subprocess.run(
            ["losetup", "--find", "--show", str(backing)],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        attached.append(device)
        return Path(device), backing

    yield attach
    for device in attached:
        subprocess.run(["losetup", "-d", device], check=False)


def digest(path: Path) -> str:
    with path.open("rb") as source:
        return hashlib.file_digest(source, "sha256").hexdigest()


def test_an_image_flashed_to_a_file_is_the_image_and_the_flash_says_how_fast(
    image: Path, tmp_path: Path
) -> None:
    target = tmp_path / "unit-disk.img"
    result = factory("flash", "--image", str(image), "--target", str(target))
    assert result.returncode == 0, result.stderr
    assert digest(target) == digest(image)
    line = result.stdout.strip()
    assert line.startswith(f"flashed {image.name} to {target}: 0.00 GiB written of 0.06 GiB in ")
    assert line.endswith(" MB/s)")
    assert "flashing: 100 %" in result.stderr  # the progress bar, as written to a log


def test_an_image_flashed_to_a_disk_is_the_image(image: Path, loop_device: Attach) -> None:
    device, _backing = loop_device(IMAGE_SIZE)
    result = factory("flash", "--image", str(image), "--target", str(device))
    assert result.returncode == 0, result.stderr
    with device.open("rb") as disk:
        assert hashlib.sha256(disk.read(IMAGE_SIZE)).hexdigest() == digest(image)


def test_a_disk_smaller_than_the_image_is_refused_untouched(
    image: Path, loop_device: Attach
) -> None:
    device, backing = loop_device(IMAGE_SIZE // 2)
    before = digest(backing)
    result = factory("flash", "--image", str(image), "--target", str(device))
    assert result.returncode == 1
    assert result.stderr == (
        f"orpheus-factory: {device} is smaller than the image: {IMAGE_SIZE // 2} bytes, "
        f"the image needs {IMAGE_SIZE}\n"
    )
    assert digest(backing) == before


def test_a_mounted_disk_is_refused_untouched(
    image: Path, loop_device: Attach, tmp_path: Path
) -> None:
    device, _backing = loop_device(IMAGE_SIZE)
    subprocess.run(["mkfs.ext4", "-q", str(device)], check=True)
    mountpoint = tmp_path / "mnt"
    mountpoint.mkdir()
    subprocess.run(["mount", str(device), str(mountpoint)], check=True)
    try:
        (mountpoint / "recording.wav").write_bytes(b"kept")
        result = factory("flash", "--image", str(image), "--target", str(device))
    finally:
        subprocess.run(["umount", str(mountpoint)], check=True)
    assert result.returncode == 1
    assert result.stderr == (
        f"orpheus-factory: {device} is in use: {device} is mounted at {mountpoint}\n"
    )
    assert subprocess.run(["e2fsck", "-fn", str(device)], capture_output=True).returncode == 0
    kept = subprocess.run(
        ["debugfs", "-R", "cat /recording.wav", str(device)], capture_output=True, check=True
    )
    assert kept.stdout == b"kept"


def test_the_stations_own_disk_is_refused(image: Path) -> None:
    """Refused before any write (the disk is also mounted: a second check would refuse it)."""
    disks = sorted(station_root_disks())
    assert disks, "the station's root should sit on a block device"
    result = factory("flash", "--image", str(image), "--target", str(disks[-1]))
    assert result.returncode == 1
    assert result.stderr == (
        f"orpheus-factory: {disks[-1]} holds this station's root file system: "
        "refusing to write it\n"
    )


def test_an_image_whose_data_does_not_match_its_bmap_fails_the_flash(
    image: Path, tmp_path: Path
) -> None:
    with image.open("r+b") as out:  # one byte changed inside a mapped region
        out.seek(20 * MIB + 12345)
        byte = out.read(1)
        out.seek(20 * MIB + 12345)
        out.write(bytes([byte[0] ^ 0x01]))
    result = factory("flash", "--image", str(image), "--target", str(tmp_path / "unit.img"))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if not line.startswith("flashing:")]
    assert errors == [
        "orpheus-factory: the image does not match its bmap (blocks 5120-5631 differ): "
        "the target is not usable"
    ]


def test_a_bmap_that_is_not_the_builds_is_refused_before_writing(
    image: Path, tmp_path: Path
) -> None:
    bmap = image.with_name(image.name + ".bmap")
    bmap.write_text(bmap.read_text().replace("<!-- Image size", "<!-- edited. Image size"))
    target = tmp_path / "unit.img"
    result = factory("flash", "--image", str(image), "--target", str(target))
    assert result.returncode == 1
    assert result.stderr == (
        f"orpheus-factory: {bmap.name} does not match {image.parent}/SHA256SUMS: "
        "not the block map the build made\n"
    )
    assert not target.exists()


def test_a_target_that_is_neither_disk_nor_file_and_the_image_itself_are_refused(
    image: Path,
) -> None:
    for target, reason in (
        ("/dev/null", "/dev/null is neither a block device nor a regular file"),
        (str(image), f"{image} is the image itself"),
        ("/nonexistent-dir/unit.img", "/nonexistent-dir/unit.img: no directory /nonexistent-dir"),
    ):
        result = factory("flash", "--image", str(image), "--target", target)
        assert (result.returncode, result.stderr) == (1, f"orpheus-factory: {reason}\n")
