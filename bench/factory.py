"""Factory benchmark (issue 14): `orpheus-factory flash` of the built image onto a 16 GB
target beside `dd` of the same image onto the same kind of target, in the same run.

The targets are sparse files on the build host's disk (the station has no USB-attached SSD
here), each written to the end and synced: dd copies every block of the image, bmaptool only
the mapped ones (and checks their SHA-256 as it writes).
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from orpheus.factory.flash import check_image, flash
from testbed.paths import BUILD_DIR
from testbed.vm import find_image

TARGET_SIZE = 16 * 10**9


def _target(directory: Path, name: str) -> Path:
    path = directory / name
    with path.open("wb") as out:
        out.truncate(TARGET_SIZE)
    return path


def _dd_seconds(image: Path, target: Path) -> float:
    started = time.monotonic()
    subprocess.run(
        ["dd", f"if={image}", f"of={target}", "bs=4M", "conv=notrunc,fsync", "status=none"],
        check=True,
    )
    return time.monotonic() - started


def run(board: str) -> dict[str, Any]:
    image = find_image(board, BUILD_DIR)
    plan = check_image(image)
    with tempfile.TemporaryDirectory(prefix="orpheus-bench-flash-", dir=BUILD_DIR) as tmp:
        directory = Path(tmp)
        flashed = flash(image, _target(directory, "flash.img"))
        dd_seconds = _dd_seconds(image, _target(directory, "dd.img"))
    return {
        "image_bytes": plan.size,
        "mapped_bytes": plan.mapped,
        "target_bytes": TARGET_SIZE,
        "flash_seconds": round(flashed.seconds, 1),
        "dd_seconds": round(dd_seconds, 1),
        "flash_speedup_over_dd": round(dd_seconds / flashed.seconds, 2),
    }
