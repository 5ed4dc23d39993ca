"""What a flash may write to: a regular file or a whole block device that is not in use.

Every check runs before anything is written. A block device is refused when it (or one of
its partitions) is mounted or used as swap, when it holds the station's own root file
system, or when it is smaller than the image; the answers come from `lsblk` and `findmnt`,
which read the kernel's view (sysfs and the mount table), not a guess from device names.
"""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orpheus import runner


class TargetRefused(ValueError):
    """The target is not one a flash may write (one line, nothing written)."""


@dataclass(frozen=True)
class Target:
    path: Path
    is_device: bool
    size: int | None  # bytes of a device; None for a file (it grows to the image's size)


def _lsblk(path: Path) -> list[dict[str, Any]]:
    try:
        result = runner.run(["lsblk", "-J", "-b", "-o", "PATH,TYPE,SIZE,MOUNTPOINTS", path])
    except runner.CommandError as error:
        raise TargetRefused(f"{path}: lsblk cannot read it: {error}") from error
    devices: list[dict[str, Any]] = json.loads(result.stdout)["blockdevices"]
    return devices


def _walk(devices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for device in devices:
        found.append(device)
        found += _walk(device.get("children", []))
    return found


def station_root_disks() -> set[Path]:
    """The block devices under the station's root file system: its partition, the disk
    holding it and anything in between (LVM, RAID); empty when / is not on a block device."""
    try:
        source = runner.run(["findmnt", "-n", "-o", "SOURCE", "/"]).stdout.strip()
        if not source.startswith("/dev/"):
            return set()
        # -s: the device and every device it sits on
        chain = runner.run(["lsblk", "-n", "-s", "-o", "PATH", source])
    except runner.CommandError:
        return set()
    return {Path(line.strip()).resolve() for line in chain.stdout.splitlines() if line.strip()}


def check_device(path: Path, image_size: int) -> Target:
    resolved = path.resolve()
    if resolved in station_root_disks():
        raise TargetRefused(f"{path} holds this station's root file system: refusing to write it")
    devices = _walk(_lsblk(resolved))
    for device in devices:
        used = [m for m in device.get("mountpoints") or [] if m]
        if used:
            raise TargetRefused(f"{path} is in use: {device['path']} is mounted at {used[0]}")
    size = int(devices[0]["size"])
    if size < image_size:
        raise TargetRefused(
            f"{path} is smaller than the image: {size} bytes, the image needs {image_size}"
        )
    return Target(path, True, size)


def check_target(path: Path, image: Path, image_size: int) -> Target:
    """The target, checked; TargetRefused with one line when it must not be written."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if not path.parent.is_dir():
            raise TargetRefused(f"{path}: no directory {path.parent}") from None
        return Target(path, False, None)
    if stat.S_ISBLK(mode):
        return check_device(path, image_size)
    if not stat.S_ISREG(mode):
        raise TargetRefused(f"{path} is neither a block device nor a regular file")
    if path.resolve() == image.resolve():
        raise TargetRefused(f"{path} is the image itself")
    return Target(path, False, None)
