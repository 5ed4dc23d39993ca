"""The "storage" area of ORPHEUS-MIB: the recording targets, their space and recordings.

internal is the data partition (encrypted recordings in recordings/); usb and nas are
mount points, each keeping recordings under recordings/. A target that is not mounted has
a row with mounted=false and no figures.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RECORDING_SUFFIXES = {".wav", ".gsm", ".mp3", ".ogg", ".wav49", ".sln", ".enc", ".age"}


@dataclass(frozen=True)
class Target:
    index: int
    name: str
    mount: Path
    recordings: Path
    always_mounted: bool = False


def targets(data_dir: Path, usb_mount: Path, nas_mount: Path) -> list[Target]:
    return [
        Target(1, "internal", data_dir, data_dir / "recordings", always_mounted=True),
        Target(2, "usb", usb_mount, usb_mount / "recordings"),
        Target(3, "nas", nas_mount, nas_mount / "recordings"),
    ]


def count_recordings(directory: Path) -> int:
    total = 0
    for _, _, files in os.walk(directory):
        total += sum(Path(name).suffix.lower() in RECORDING_SUFFIXES for name in files)
    return total


def _row(target: Target) -> dict[str, Any]:
    mounted = target.always_mounted or target.mount.is_mount()
    row: dict[str, Any] = {"index": target.index, "name": target.name, "mounted": mounted}
    if mounted:
        usage = shutil.disk_usage(target.mount)
        row.update(
            total_bytes=usage.total,
            free_bytes=usage.free,
            recordings=count_recordings(target.recordings),
        )
    return row


def collect(all_targets: list[Target]) -> dict[str, Any]:
    return {"targets": [_row(target) for target in all_targets]}
