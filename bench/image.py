"""Image builder figures: clean and cached build times, a rebuild of the release from its
manifest (and whether it is bit-identical), image sizes."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from builder.reproducible import file_digest
from testbed.paths import SOURCE_DIR
from testbed.vm import find_image

# Its own build folder: the clean build starts without build/'s package cache.
WORK_DIR = SOURCE_DIR / "bench/work"


def _build(board: str, build_dir: Path) -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "builder", "image", "--board", board, "--build-dir", str(build_dir)],
        cwd=SOURCE_DIR,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return round(time.monotonic() - started, 1)


def build_times(board: str) -> dict[str, float]:
    """A build from an empty build folder (downloads included), then two rebuilds."""
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    clean = _build(board, WORK_DIR)
    (WORK_DIR / "rootfs.stamp").unlink()  # as after a change to the agent or the overlay
    relayed = _build(board, WORK_DIR)
    unchanged = _build(board, WORK_DIR)
    return {
        "clean_build_seconds": clean,
        "rebuild_after_agent_change_seconds": relayed,
        "rebuild_unchanged_seconds": unchanged,
    }


def rebuild_from_manifest(board: str) -> dict[str, object]:
    """The release just built, rebuilt from its manifest alone (REBUILD_FROM: its own base,
    offline from the package cache) in another folder: its time beside the clean build's,
    and whether the disk image came out bit for bit the same."""
    again = WORK_DIR / "rebuild"
    again.mkdir()
    (again / "keys").symlink_to(WORK_DIR / "keys")
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "builder", "image", "--board", board, "--build-dir", str(again),
         "--cache-dir", str(WORK_DIR / "cache"),
         "--rebuild-from", str(WORK_DIR / board / "manifest.json")],
        cwd=SOURCE_DIR, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    seconds = round(time.monotonic() - started, 1)
    first, second = find_image(board, WORK_DIR), find_image(board, again)
    return {
        "rebuild_from_manifest_seconds": seconds,
        "rebuild_from_manifest_identical": file_digest(first) == file_digest(second),
    }


def sizes(image: Path) -> dict[str, int]:
    compressed = subprocess.run(
        ["zstd", "-q", "-T0", "-10", "--sparse", "-c", str(image)],
        stdout=subprocess.PIPE,
        check=True,
    ).stdout
    return {
        "image_bytes": image.stat().st_size,
        "image_allocated_bytes": image.stat().st_blocks * 512,
        "image_zstd10_bytes": len(compressed),
    }


def run(board: str) -> dict[str, object]:
    results: dict[str, object] = {"board": board}
    results.update(build_times(board))
    results.update(rebuild_from_manifest(board))
    results.update(sizes(find_image(board, WORK_DIR)))
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    return results
